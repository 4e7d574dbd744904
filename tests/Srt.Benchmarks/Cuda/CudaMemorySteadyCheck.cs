using Srt.Benchmarks.Losses;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Kernels.Cuda;
using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Cuda;

/// <summary>
/// <c>memory-steady</c>: CUDA allocated bytes after each of 6 training steps (forward, fused loss, backward, SGD update)
/// of a 2-layer Llama with lm_head 32000 × 2048 and the fused kernels, in three modes: <c>release</c> (what
/// TorchSharpTrainer does: backward outputs drained and released after each step), <c>drain-only</c> (no release: the
/// last backward's outputs, about one lm_head gradient, stay until the next step) and <c>off</c> (TorchSharp's own
/// behaviour: the wrappers libtorch's CUDA thread got live until the finalizer runs). The check passes when
/// <c>release</c> is flat from step 2 on.
/// </summary>
internal static class CudaMemorySteadyCheck
{
    private const int Steps = 6;
    private const double FlatToleranceMb = 8;

    public static Dictionary<string, object?> Run()
    {
        var device = CudaCheckBenchmark.Target;
        if (device.type != DeviceType.CUDA)
        {
            return new Dictionary<string, object?> { ["ok"] = true, ["skipped"] = "needs a CUDA device (allocator statistics); nothing to measure on the CPU" };
        }

        using var memory = new CudaMemory();
        var config = CudaModelChecks.LayerShapedConfig();
        using var model = LlamaForCausalLM.Create(config, new ModelLoadOptions { Device = device.ToString() }, seed: 13);
        model.Train();
        using var ids = torch.randint(0, config.VocabSize, [2, 256], generator: new Generator(17), dtype: ScalarType.Int64).to(device);

        var result = new Dictionary<string, object?> { ["memory_source"] = memory.Source, ["shape"] = "batch 2 x seq 256, hidden 2048, 2 layers, vocab 32000, float32" };
        var release = Measure(model, ids, memory, tracked: true, release: true);
        var drainOnly = Measure(model, ids, memory, tracked: true, release: false);
        var off = Measure(model, ids, memory, tracked: false, release: false);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        double releaseSpread = release.Skip(1).Max() - release.Skip(1).Min();
        result["allocated_mb_release"] = release;
        result["allocated_mb_drain_only"] = drainOnly;
        result["allocated_mb_off"] = off;
        result["release_spread_after_step1_mb"] = TensorComparison.Round(releaseSpread);
        result["drain_only_minus_release_mb"] = TensorComparison.Round(drainOnly[^1] - release[^1]);
        result["off_growth_step2_to_6_mb"] = TensorComparison.Round(off[^1] - off[1]);
        result["lm_head_gradient_mb"] = TensorComparison.Round(config.VocabSize * (double)config.HiddenSize * 4 / 1048576.0);
        result["ok"] = memory.Source == "allocator" && releaseSpread < FlatToleranceMb;
        return result;
    }

    /// <summary>Runs <see cref="Steps"/> steps and returns the allocated MiB after each (after synchronizing).</summary>
    private static double[] Measure(LlamaForCausalLM model, Tensor ids, CudaMemory memory, bool tracked, bool release)
    {
        var allocated = new double[Steps];
        BackwardOutputs.Enabled = tracked;
        try
        {
            for (int step = 0; step < Steps; step++)
            {
                Step(model, ids);
                if (release)
                {
                    FusedOps.ReleaseBackwardOutputs(CudaCheckBenchmark.Target);
                }

                torch.cuda.synchronize();
                allocated[step] = Math.Round(memory.Current() / 1048576.0, 1);
            }
        }
        finally
        {
            BackwardOutputs.Enabled = true;
        }

        // Leaves nothing of this mode behind for the next one: one release drains the CUDA thread's list.
        FusedOps.ReleaseBackwardOutputs(CudaCheckBenchmark.Target);
        return allocated;
    }

    private static void Step(LlamaForCausalLM model, Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = model.ForwardHidden(ids);
        var predicting = hidden[.., ..^1, ..].reshape(-1, hidden.shape[^1]);
        var targets = ids[.., 1..].reshape(-1);
        var loss = LanguageModelLoss.CrossEntropy(predicting, model.LmHeadWeight, targets, lossMask: null, new LanguageModelLossOptions { Implementation = LossImplementation.Fused }).Loss;
        loss.backward();
        using var noGrad = torch.no_grad();
        foreach (var parameter in model.Parameters())
        {
            var gradient = parameter.grad;
            if (gradient is not null)
            {
                parameter.sub_(gradient.mul(1e-4));
                gradient.zero_();
            }
        }
    }
}
