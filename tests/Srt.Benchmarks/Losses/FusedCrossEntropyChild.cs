using System.Text.Json;
using Srt.TorchSharp.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Losses;

/// <summary>
/// Runs one <c>fused-ce</c> case inside its own process, so that the process's peak resident memory belongs to that
/// case alone, and prints one JSON line with the peak, the baseline and the median time.
/// </summary>
internal static class FusedCrossEntropyChild
{
    public static int Run(FusedCrossEntropyCase benchmarkCase, TextWriter output)
    {
        if (benchmarkCase.Device == "cuda")
        {
            return FusedCrossEntropyCudaChild.Run(benchmarkCase, output);
        }

        torch.set_num_threads(benchmarkCase.Threads);
        var dtype = DataType(benchmarkCase);
        var options = LossOptions(benchmarkCase);

        // Start libtorch's thread pools before the baseline so that neither path is charged for them.
        using (var a = torch.randn(256, 256, dtype: dtype))
        using (var b = a.mm(a))
        {
        }

        var generator = new Generator(1234);
        using var hidden = torch.randn([benchmarkCase.Tokens, benchmarkCase.Hidden], dtype: dtype, generator: generator).requires_grad_(true);
        using var weight = torch.randn([benchmarkCase.Vocabulary, benchmarkCase.Hidden], dtype: dtype, generator: generator).mul_(0.02).requires_grad_(true);
        using var targets = torch.randint(0, benchmarkCase.Vocabulary, [benchmarkCase.Tokens], generator: generator, dtype: ScalarType.Int64);

        long baseline = ProcessMemory.ResidentBytes();
        bool peakReset = ProcessMemory.ResetPeak();
        var (median, repeats, loss) = FusedCrossEntropyPasses.Run(benchmarkCase, () => Step(hidden, weight, targets, options));
        long peak = ProcessMemory.PeakResidentBytes();
        output.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "fused-ce",
            impl = benchmarkCase.Implementation,
            vocab = benchmarkCase.Vocabulary,
            hidden = benchmarkCase.Hidden,
            tokens = benchmarkCase.Tokens,
            dtype = benchmarkCase.DataType,
            chunk_rows = ResolvedChunkRows(benchmarkCase, options),
            peak_rss_mb = Math.Round(peak / 1048576.0, 1),
            baseline_rss_mb = Math.Round(baseline / 1048576.0, 1),
            increment_mb = Math.Round((peak - baseline) / 1048576.0, 1),
            time_ms_median = Math.Round(median, 1),
            repeats,
            threads = benchmarkCase.Threads,
            peak_reset = peakReset,
            loss = Math.Round(loss, 5),
        }));
        return 0;
    }

    internal static ScalarType DataType(FusedCrossEntropyCase benchmarkCase) => benchmarkCase.DataType switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"dtype must be float32 or bfloat16, not '{benchmarkCase.DataType}'."),
    };

    internal static LanguageModelLossOptions LossOptions(FusedCrossEntropyCase benchmarkCase) => new()
    {
        Implementation = benchmarkCase.Implementation == "plain" ? LossImplementation.Plain : LossImplementation.Fused,
        CudaCrossEntropyKernel = benchmarkCase.Implementation == "fused-kernel",
        ChunkRows = benchmarkCase.ChunkRows > 0 ? (int)benchmarkCase.ChunkRows : null,
    };

    /// <summary>Gets the rows per chunk the fused path uses in this case, or null for the plain path.</summary>
    internal static long? ResolvedChunkRows(FusedCrossEntropyCase benchmarkCase, LanguageModelLossOptions options) =>
        options.Implementation == LossImplementation.Fused
            ? options.ResolveChunkRows(benchmarkCase.Vocabulary, benchmarkCase.Tokens, benchmarkCase.Device == "cuda" ? DeviceType.CUDA : DeviceType.CPU)
            : null;

    /// <summary>One forward and backward pass with respect to both hidden states and weight; returns the loss.</summary>
    internal static float Step(Tensor hidden, Tensor weight, Tensor targets, LanguageModelLossOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var result = LanguageModelLoss.CrossEntropy(hidden, weight, targets, lossMask: null, options);

        // autograd.grad rather than backward(): the gradients are returned and freed here, not accumulated in .grad,
        // so every iteration starts from the same memory state.
        var gradients = torch.autograd.grad([result.Loss], [hidden, weight]);
        _ = gradients[1].sum().to_type(ScalarType.Float32).item<float>();
        return result.Loss.to_type(ScalarType.Float32).item<float>();
    }
}
