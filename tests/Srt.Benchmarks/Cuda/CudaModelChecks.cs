using System.Diagnostics;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Kernels.Cuda;
using Srt.TorchSharp.Modeling;
using TorchSharp;
using static Srt.Benchmarks.Cuda.TensorComparison;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Cuda;

/// <summary>Numerical checks of the model and the fused loss on CUDA tensors against the composed or plain paths.</summary>
internal static class CudaModelChecks
{
    private const int Batch = 2;
    private const int Sequence = 256;

    /// <summary>
    /// Two layers with the shapes of a 1B-class model's (hidden 2048, 32 heads, 8 KV heads, intermediate 8192,
    /// vocabulary 32000), for sequences of up to 256 tokens: what the CUDA checks train and compare.
    /// </summary>
    public static LlamaConfig LayerShapedConfig() => new()
    {
        VocabSize = 32000,
        HiddenSize = 2048,
        IntermediateSize = 8192,
        NumHiddenLayers = 2,
        NumAttentionHeads = 32,
        NumKeyValueHeads = 8,
        RmsNormEps = 1e-5,
        MaxPositionEmbeddings = Sequence,
    };

    /// <summary>
    /// A 2-layer Llama with the shapes of a 1B-class model's layer (hidden 2048, 32 heads, 8 KV heads, intermediate 8192,
    /// vocabulary 32000): forward and backward with <see cref="FusedOps.CudaKernelsEnabled"/> on and off, same weights.
    /// </summary>
    public static Dictionary<string, object?> LlamaKernelsOnVersusOff(ScalarType dtype)
    {
        var config = LayerShapedConfig();
        using var model = LlamaForCausalLM.Create(config, new ModelLoadOptions { DType = dtype, Device = CudaCheckBenchmark.Target.ToString() }, seed: 7);
        model.Train();
        var generator = new Generator(11);
        using var ids = torch.randint(0, config.VocabSize, [Batch, Sequence], generator: generator, dtype: ScalarType.Int64).to(CudaCheckBenchmark.Target);

        var fallbacks = new RecordingLogger();
        var previousLogger = FusedOps.Logger;
        FusedOps.Logger = fallbacks;
        try
        {
            FusedOps.CudaKernelsEnabled = true;
            using var fused = Step(model, ids);
            double fusedMs = TimeSteps(model, ids);
            FusedOps.CudaKernelsEnabled = false;
            using var composed = Step(model, ids);
            double composedMs = TimeSteps(model, ids);

            double logitsRel = MaxRel(fused.Logits, composed.Logits);
            double lossAbs = Math.Abs(fused.Loss - composed.Loss);
            double gradientRel = fused.Gradients.Zip(composed.Gradients).Max(p => MaxRel(p.First, p.Second));
            (double logitsLimit, double gradientLimit) = dtype == ScalarType.Float32 ? (1e-3, 1e-2) : (5e-2, 1e-1);
            
            // FusedOps logs a Warning when CUDA tensors fall back to composed ops; switching the kernels off logs at Debug.
            // FusedOps logs each reason once per process, so for the second dtype the absence of a warning proves
            // less; bit-identical logits would mean both runs took the same (composed) path.
            double logitsAbs = MaxAbs(fused.Logits, composed.Logits);
            bool kernelsUsed = CudaKernels.IsAvailable && logitsAbs > 0
                && !fallbacks.Messages.Any(m => m.StartsWith("Warning", StringComparison.Ordinal));
            return new Dictionary<string, object?>
            {
                ["ok"] = kernelsUsed && logitsRel < logitsLimit && gradientRel < gradientLimit && !double.IsNaN(fused.Loss),
                ["dtype"] = CudaCheckBenchmark.Dtype(dtype),
                ["shape"] = $"batch {Batch} x seq {Sequence}, hidden 2048, 2 layers, 32/8 heads, vocab 32000",
                ["kernels_used"] = kernelsUsed,
                ["fallback_messages"] = fallbacks.Messages.Distinct().ToArray(),
                ["loss_fused"] = Round(fused.Loss),
                ["loss_composed"] = Round(composed.Loss),
                ["loss_abs_diff"] = Round(lossAbs),
                ["logits_max_abs_diff"] = Round(logitsAbs),
                ["logits_max_rel_diff"] = Round(logitsRel),
                ["grad_max_rel_diff"] = Round(gradientRel),
                ["grad_worst_parameter"] = fused.Names[Enumerable.Range(0, fused.Names.Length).MaxBy(i => MaxRel(fused.Gradients[i], composed.Gradients[i]))],
                ["limits"] = new { logits_rel = logitsLimit, grad_rel = gradientLimit },
                ["step_ms_fused"] = Round(fusedMs),
                ["step_ms_composed"] = Round(composedMs),
                ["speedup"] = Round(composedMs / fusedMs),
            };
        }
        finally
        {
            FusedOps.CudaKernelsEnabled = true;
            FusedOps.Logger = previousLogger;
        }
    }

    /// <summary>
    /// Fused against plain linear cross-entropy on CUDA: 4096 tokens, hidden 2048, vocabulary 32000; with
    /// <paramref name="cudaKernel"/> the fused chunks run as one kernel each (cross_entropy.cu).
    /// </summary>
    public static Dictionary<string, object?> FusedVersusPlainCrossEntropy(ScalarType dtype, bool cudaKernel = false)
    {
        var generator = new Generator(5);
        using var hidden = torch.randn([4096, 2048], dtype: dtype, generator: generator).to(CudaCheckBenchmark.Target).requires_grad_(true);
        using var weight = torch.randn([32000, 2048], dtype: dtype, generator: generator).mul_(0.02).to(CudaCheckBenchmark.Target).requires_grad_(true);
        using var targets = torch.randint(0, 32000, [4096], generator: generator, dtype: ScalarType.Int64).to(CudaCheckBenchmark.Target);
        using var fused = LossAndGradients(hidden, weight, targets, new() { CudaCrossEntropyKernel = cudaKernel });
        using var plain = LossAndGradients(hidden, weight, targets, new() { Implementation = LossImplementation.Plain });
        double hiddenRel = MaxRel(fused.Gradients[0], plain.Gradients[0]);
        double weightRel = MaxRel(fused.Gradients[1], plain.Gradients[1]);
        double lossRel = Math.Abs(fused.Loss - plain.Loss) / Math.Abs(plain.Loss);
        double limit = dtype == ScalarType.Float32 ? 1e-4 : 2e-2;
        return new Dictionary<string, object?>
        {
            ["ok"] = lossRel < limit && hiddenRel < 10 * limit && weightRel < 10 * limit,
            ["dtype"] = CudaCheckBenchmark.Dtype(dtype),
            ["shape"] = "tokens 4096, hidden 2048, vocab 32000",
            ["cuda_kernel"] = cudaKernel,
            ["loss_fused"] = Round(fused.Loss),
            ["loss_plain"] = Round(plain.Loss),
            ["loss_rel_diff"] = Round(lossRel),
            ["grad_hidden_max_rel_diff"] = Round(hiddenRel),
            ["grad_weight_max_rel_diff"] = Round(weightRel),
            ["limits"] = new { loss_rel = limit, grad_rel = 10 * limit },
        };
    }

    /// <summary>
    /// DPO's per-sequence log-probabilities with the fused chunks as one kernel each, against the plain path on CUDA:
    /// 8 sequences of 512 tokens (a quarter masked), hidden 2048, vocabulary 32000, with per-sequence upstream weights
    /// of both signs (what DPO's loss sends back), so the kernel's row factors are exercised.
    /// </summary>
    public static Dictionary<string, object?> FusedKernelVersusPlainSequenceLogProbs(ScalarType dtype)
    {
        var generator = new Generator(6);
        using var hidden = torch.randn([8, 512, 2048], dtype: dtype, generator: generator).to(CudaCheckBenchmark.Target).requires_grad_(true);
        using var weight = torch.randn([32000, 2048], dtype: dtype, generator: generator).mul_(0.02).to(CudaCheckBenchmark.Target).requires_grad_(true);
        using var targets = torch.randint(0, 32000, [8, 512], generator: generator, dtype: ScalarType.Int64).to(CudaCheckBenchmark.Target);
        using var mask = torch.rand([8, 512], generator: generator).gt(0.25).to(CudaCheckBenchmark.Target);
        using var upstream = torch.randn([8], generator: generator).to(CudaCheckBenchmark.Target);

        (float[] Values, Tensor[] Gradients) Run(LanguageModelLossOptions options)
        {
            using var scope = torch.NewDisposeScope();
            var logps = LanguageModelLoss.SequenceLogProbs(hidden, weight, targets, mask, options);
            var gradients = torch.autograd.grad([logps], [hidden, weight], [upstream]);
            return (logps.to_type(ScalarType.Float32).cpu().data<float>().ToArray(), gradients.Select(g => g.MoveToOuterDisposeScope()).ToArray());
        }

        var fused = Run(new() { CudaCrossEntropyKernel = true });
        var plain = Run(new() { Implementation = LossImplementation.Plain });
        try
        {
            double valueRel = fused.Values.Zip(plain.Values, (f, p) => Math.Abs(f - p) / Math.Max(1e-6, Math.Abs(p))).Max();
            double hiddenRel = MaxRel(fused.Gradients[0], plain.Gradients[0]);
            double weightRel = MaxRel(fused.Gradients[1], plain.Gradients[1]);
            double limit = dtype == ScalarType.Float32 ? 1e-4 : 2e-2;
            return new Dictionary<string, object?>
            {
                ["ok"] = valueRel < limit && hiddenRel < 10 * limit && weightRel < 10 * limit,
                ["dtype"] = CudaCheckBenchmark.Dtype(dtype),
                ["shape"] = "8 x 512 tokens (25% masked), hidden 2048, vocab 32000, upstream weights of both signs",
                ["cuda_kernel"] = true,
                ["logps_max_rel_diff"] = Round(valueRel),
                ["grad_hidden_max_rel_diff"] = Round(hiddenRel),
                ["grad_weight_max_rel_diff"] = Round(weightRel),
                ["limits"] = new { logps_rel = limit, grad_rel = 10 * limit },
            };
        }
        finally
        {
            foreach (var gradient in fused.Gradients.Concat(plain.Gradients))
            {
                gradient.Dispose();
            }
        }
    }

    private static StepResult Step(LlamaForCausalLM model, Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        var named = model.NamedParameters().ToArray();
        var logits = model.Forward(ids);
        var loss = StepLoss(logits, ids);
        var gradients = torch.autograd.grad([loss], named.Select(p => (Tensor)p.Parameter).ToArray());
        return new StepResult(
            logits.detach().MoveToOuterDisposeScope(),
            loss.to_type(ScalarType.Float32).item<float>(),
            named.Select(p => p.Name).ToArray(),
            gradients.Select(g => g.MoveToOuterDisposeScope()).ToArray());
    }

    private static Tensor StepLoss(Tensor logits, Tensor ids)
    {
        var vocabulary = logits.shape[^1];
        var predicted = logits[.., ..^1, ..].reshape(-1, vocabulary).to_type(ScalarType.Float32);
        return nn.functional.cross_entropy(predicted, ids[.., 1..].reshape(-1));
    }

    /// <summary>Median milliseconds of 3 forward+backward steps after one warm-up, synchronizing the GPU around each.</summary>
    private static double TimeSteps(LlamaForCausalLM model, Tensor ids)
    {
        var times = new List<double>();
        for (int i = 0; i < 4; i++)
        {
            CudaCheckBenchmark.Synchronize();
            var watch = Stopwatch.StartNew();
            using (Step(model, ids))
            {
                CudaCheckBenchmark.Synchronize();
            }

            if (i > 0)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }

    private static StepResult LossAndGradients(Tensor hidden, Tensor weight, Tensor targets, LanguageModelLossOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var result = LanguageModelLoss.CrossEntropy(hidden, weight, targets, lossMask: null, options);
        var gradients = torch.autograd.grad([result.Loss], [hidden, weight]);
        return new StepResult(
            torch.zeros(1).MoveToOuterDisposeScope(),
            result.Loss.to_type(ScalarType.Float32).item<float>(),
            ["hidden", "weight"],
            gradients.Select(g => g.MoveToOuterDisposeScope()).ToArray());
    }

    private sealed record StepResult(Tensor Logits, float Loss, string[] Names, Tensor[] Gradients) : IDisposable
    {
        public void Dispose()
        {
            Logits.Dispose();
            foreach (var gradient in Gradients)
            {
                gradient.Dispose();
            }
        }
    }
}
