using System.Diagnostics;
using Srt.Benchmarks.Generation;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Kernels.Cpu;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Modeling.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Batching;

/// <summary>
/// Where the milliseconds of one continuous-batching decode step go (<c>batching --profile 1</c>): the whole step with
/// every running slot at the workload's mean context, with the small-row kernel and with libtorch's products, and
/// beside it each kind of operation the step does, timed alone at the step's shapes and multiplied by how often a
/// step runs it. What the parts do not explain is the cache writes, views and the dispatch between operations.
/// </summary>
internal static class DecodeStepProfile
{
    private const int Repeats = 15;

    private const int WarmUpSteps = 64;

    public static void Run(LlamaForCausalLM model, int slots, int context, TextWriter output, string size)
    {
        var config = model.Config;
        var (hidden, heads, kvHeads, headDim, layers) = (config.HiddenSize, config.NumAttentionHeads, config.KeyValueHeadCount,
            config.HeadDimension, config.NumHiddenLayers);
        var parts = new List<(string Name, double Ms)>();
        void Part(string name, int perStep, Action action) => parts.Add((name, perStep * Median(action) * 1e3));

        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var x = randn(slots, 1, hidden);
            var norm = new RmsNorm(hidden, config.RmsNormEps, ScalarType.Float32, CPU);
            using (no_grad())
            {
                norm.parameters().First().fill_(1);
            }
            var query = randn(slots, heads, 1, headDim);
            var key = randn(slots, kvHeads, 1, headDim);
            var cos = randn(slots, 1, 1, headDim);
            var sin = randn(slots, 1, 1, headDim);
            var cacheKeys = randn(slots, kvHeads, context, headDim);
            var cacheValues = randn(slots, kvHeads, context, headDim);
            var mask = ones([slots, 1, 1, context], ScalarType.Bool);
            var gate = randn(slots, 1, config.IntermediateSize);
            var up = randn(slots, 1, config.IntermediateSize);
            var logits = randn(slots, config.VocabSize);
            using var sampler = new TokenSampler(new GenerationOptions { Temperature = 0 }, new long[slots], CPU);

            Part("rms_norm", 2 * layers + 1, () => norm.forward(x).Dispose());
            Part("rotary", layers, () =>
            {
                RotaryEmbedding.Apply(query, cos, sin).Dispose();
                RotaryEmbedding.Apply(key, cos, sin).Dispose();
            });
            Part("attention", layers, () => nn.functional.scaled_dot_product_attention(
                query.reshape(slots, kvHeads, heads / kvHeads, headDim), cacheKeys, cacheValues, mask, 0.0, false).Dispose());
            if (SlotDecodeAttention.IsSupported)
            {
                var slotKeys = randn(slots, kvHeads, context + 1, headDim);
                var slotValues = randn(slots, kvHeads, context + 1, headDim);
                var flatQuery = randn(slots, 1, heads * headDim);
                var flatKey = randn(slots, 1, kvHeads * headDim);
                var positions = Enumerable.Repeat((long)context, slots).ToArray();
                var (cosTable, sinTable) = (randn(context + 1, headDim), randn(context + 1, headDim));
                Part("attention_kernel", layers, () => SlotDecodeAttention.Attend(
                    flatQuery, flatKey, flatKey, slotKeys, slotValues, positions, cosTable, sinTable, (int)heads, null,
                    1.0 / Math.Sqrt(headDim), null).Dispose());
            }
            Part("swiglu", layers, () =>
            {
                using var activated = nn.functional.silu(gate);
                activated.mul(up).Dispose();
            });
            Part("residual_adds", 2 * layers, () => x.add(x).Dispose());
            Part("sampling", 1, () => sampler.Sample(logits));
            var products = StepProducts(model, slots);
            parts.Add(("weight_products_libtorch", products.Libtorch * 1e3));
            parts.Add(("weight_products_kernel", products.Kernel * 1e3));
        }

        var (fused, withKernel, withLibtorch, withSdpa) = StepTimes(model, slots, context);
        // The layer-by-layer step with both kernels runs the kernel's attention, not SDPA, and neither rotary nor
        // libtorch products.
        var notInKernelStep = new[] { "weight_products_libtorch", "attention", "rotary" };
        var explained = parts.Where(p => !notInKernelStep.Contains(p.Name)).Sum(p => p.Ms);
        GenerationBenchmark.Emit(output, new
        {
            benchmark = "batching", kind = "profile", size, slots, context,
            avx512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
            step_ms_fused = Math.Round(fused * 1e3, 2),
            step_ms_kernel = Math.Round(withKernel * 1e3, 2), step_ms_libtorch = Math.Round(withLibtorch * 1e3, 2),
            step_ms_kernel_products_sdpa = Math.Round(withSdpa * 1e3, 2),
            parts_ms = parts.ToDictionary(p => p.Name, p => Math.Round(p.Ms, 3)),
            unexplained_ms_kernel = Math.Round(withKernel * 1e3 - explained, 2),
        });
    }

    /// <summary>The best of 5 passes over every weight product of a step (each projection of each layer and the output
    /// projection) on random rows: with libtorch's <c>linear</c>, and with the small-row kernel (NaN where it does not
    /// apply).</summary>
    public static (double Libtorch, double Kernel) StepProducts(LlamaForCausalLM model, int slots)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weights = model.NamedParameters()
            .Where(p => p.Parameter.dim() == 2 && p.Name != "model.embed_tokens.weight")
            .Select(p => (Tensor)p.Parameter).Append(model.LmHeadWeight).ToArray();
        var inputs = weights.Select(w => randn(slots, w.shape[1])).ToArray();
        double Best(Func<Tensor, Tensor, Tensor> product)
        {
            void Pass()
            {
                using var inner = NewDisposeScope();
                for (var i = 0; i < weights.Length; i++)
                {
                    product(inputs[i], weights[i]);
                }
            }
            Pass();
            return Enumerable.Range(0, 5).Min(_ =>
            {
                var clock = Stopwatch.StartNew();
                Pass();
                return clock.Elapsed.TotalSeconds;
            });
        }
        var libtorch = Best((x, w) => nn.functional.linear(x, w));
        // Beyond MaxRows the kernel declines and the step runs libtorch's products.
        var kernel = SmallRowLinear.IsSupported && slots <= SmallRowLinear.MaxRows
            ? Best((x, w) => SmallRowLinear.TryLinear(x, w) ?? throw new InvalidOperationException("The small-row kernel declined a decode product."))
            : double.NaN;
        return (libtorch, kernel);
    }

    // The median decode step with every slot running at `context` tokens: fused (every layer in one parallel run of
    // the CPU kernels, the default), with both CPU kernels (small-row products and slot attention) layer by layer,
    // with libtorch's products and the slot attention, and with the kernel's products and libtorch's attention path
    // (rotary, cache scatter, mask, SDPA). The fused and layer-by-layer steps alternate, so a slow phase of the
    // machine falls on both.
    private static (double Fused, double Kernel, double Libtorch, double Sdpa) StepTimes(LlamaForCausalLM model, int slots, int context)
    {
        var random = new Random(2);
        using var sampler = new TokenSampler(new GenerationOptions { Temperature = 0 }, new long[slots], model.Device);
        // The warm-up and eight runs of Repeats + 1 steps each; every step adds a token to each slot.
        using var session = new ContinuousBatchSession(model, sampler, slots, context + WarmUpSteps + 8 * (Repeats + 1) + 8, context);
        var tokens = new long[slots];
        for (var slot = 0; slot < slots; slot++)
        {
            var prompt = Enumerable.Range(0, context).Select(_ => random.Next(model.Config.VocabSize)).ToArray();
            tokens[slot] = session.Prefill(prompt, slot);
            session.Admit(slot);
        }
        double Steps()
        {
            session.Decode(tokens);
            return Median(() => session.Decode(tokens));
        }
        // Warm-up: enough steps in both modes for the JIT's recompilation of the step's code to finish first (on 2
        // cores it would otherwise take a core from some of the timed steps).
        for (var step = 0; step < WarmUpSteps; step++)
        {
            SlotDecodeLayers.Enabled = step % 2 == 0;
            session.Decode(tokens);
        }
        SlotDecodeLayers.Enabled = true;
        var (fusedTimes, kernelTimes) = (new List<double>(), new List<double>());
        for (var round = 0; round < 3; round++)
        {
            fusedTimes.Add(Steps());
            SlotDecodeLayers.Enabled = false;
            try
            {
                kernelTimes.Add(Steps());
            }
            finally
            {
                SlotDecodeLayers.Enabled = true;
            }
        }
        var (fused, kernel) = (Statistics.Median(fusedTimes), Statistics.Median(kernelTimes));
        double libtorch, sdpa;
        SmallRowLinear.Enabled = false;
        try
        {
            libtorch = Steps();
        }
        finally
        {
            SmallRowLinear.Enabled = true;
        }
        SlotDecodeAttention.Enabled = false;
        try
        {
            sdpa = Steps();
        }
        finally
        {
            SlotDecodeAttention.Enabled = true;
        }
        return (fused, kernel, libtorch, sdpa);
    }

    private static double Median(Action action)
    {
        action();
        var times = Enumerable.Range(0, Repeats).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            action();
            return clock.Elapsed.TotalSeconds;
        }).Order().ToArray();
        return times[times.Length / 2];
    }
}
