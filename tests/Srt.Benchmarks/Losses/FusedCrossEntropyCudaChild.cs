using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Losses;

/// <summary>
/// Runs one <c>fused-ce</c> case on CUDA device 0 in its own process: inputs are drawn on the CPU (the same values as
/// the CPU benchmark) and moved to the GPU, every timed run is bracketed by <c>torch.cuda.synchronize()</c>, and the
/// peak is read from <see cref="CudaMemory"/> after resetting it once the inputs exist.
/// </summary>
internal static class FusedCrossEntropyCudaChild
{
    public static int Run(FusedCrossEntropyCase benchmarkCase, TextWriter output)
    {
        if (!torch.cuda.is_available())
        {
            output.WriteLine(JsonSerializer.Serialize(new { bench = "fused-ce", device = "cuda", error = "cuda unavailable" }));
            return 3;
        }

        var dtype = FusedCrossEntropyChild.DataType(benchmarkCase);
        var options = FusedCrossEntropyChild.LossOptions(benchmarkCase);
        using var memory = new CudaMemory();

        // Create the CUDA context and cuBLAS handle before the baseline so that neither path is charged for them.
        using (var a = torch.randn(256, 256, dtype: dtype, device: CUDA))
        using (var b = a.mm(a))
        {
            torch.cuda.synchronize();
        }

        var generator = new Generator(1234);
        using var hidden = torch.randn([benchmarkCase.Tokens, benchmarkCase.Hidden], dtype: dtype, generator: generator).cuda().requires_grad_(true);
        using var weight = torch.randn([benchmarkCase.Vocabulary, benchmarkCase.Hidden], dtype: dtype, generator: generator).mul_(0.02).cuda().requires_grad_(true);
        using var targets = torch.randint(0, benchmarkCase.Vocabulary, [benchmarkCase.Tokens], generator: generator, dtype: ScalarType.Int64).cuda();
        torch.cuda.synchronize();

        long baseline = memory.Current();
        bool peakReset = memory.ResetPeak();
        // Each pass is bracketed by synchronizations; afterwards the gradients the fused backward handed to libtorch's
        // CUDA thread are freed (see BackwardOutputs), untimed.
        var (median, repeats, loss) = FusedCrossEntropyPasses.Run(
            benchmarkCase,
            () =>
            {
                torch.cuda.synchronize();
                float value = FusedCrossEntropyChild.Step(hidden, weight, targets, options);
                torch.cuda.synchronize();
                return value;
            },
            () => Srt.TorchSharp.Kernels.BackwardOutputs.Release(CUDA));
        long peak = memory.Peak();
        output.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "fused-ce",
            device = "cuda",
            impl = benchmarkCase.Implementation,
            vocab = benchmarkCase.Vocabulary,
            hidden = benchmarkCase.Hidden,
            tokens = benchmarkCase.Tokens,
            dtype = benchmarkCase.DataType,
            chunk_rows = FusedCrossEntropyChild.ResolvedChunkRows(benchmarkCase, options),
            memory_source = memory.Source,
            peak_cuda_allocated_mb = Math.Round(peak / 1048576.0, 1),
            baseline_cuda_allocated_mb = Math.Round(baseline / 1048576.0, 1),
            increment_mb = Math.Round((peak - baseline) / 1048576.0, 1),
            peak_cuda_reserved_mb = Math.Round(memory.PeakReserved() / 1048576.0, 1),
            time_ms_median = Math.Round(median, 2),
            repeats,
            peak_reset = peakReset,
            loss = Math.Round(loss, 5),
        }));
        return 0;
    }
}
