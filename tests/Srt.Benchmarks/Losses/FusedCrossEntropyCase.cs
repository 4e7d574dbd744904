using System.Globalization;

namespace Srt.Benchmarks.Losses;

/// <summary>
/// One measured configuration of the <c>fused-ce</c> benchmark (device <c>cpu</c> or <c>cuda</c>); travels to the child
/// process as one argument. <see cref="ChunkRows"/> is the fused path's rows per chunk, 0 for the library's automatic choice.
/// </summary>
internal sealed record FusedCrossEntropyCase(string Implementation, long Vocabulary, long Hidden, long Tokens, string DataType, int Threads, int Warmup, int Repeats, string Device = "cpu", long ChunkRows = 0)
{
    /// <summary>Gets the floating-point operations of one forward and backward pass (three matmuls of N·V·H).</summary>
    public double Flops => 6.0 * Tokens * Vocabulary * Hidden;

    /// <summary>Gets the bytes of one element of the inputs.</summary>
    public int ElementBytes => DataType == "bfloat16" ? 2 : 4;

    /// <summary>
    /// Gets a rough upper estimate of the case's peak memory, used only to skip cases that cannot fit: the plain path
    /// holds about three float32 tokens × vocabulary tensors at once during backward (log-softmax output, its
    /// incoming gradient, its input gradient), plus the bf16 logits in forward.
    /// </summary>
    public long EstimatedPeakBytes
    {
        get
        {
            long inputs = (Tokens + Vocabulary) * Hidden * ElementBytes;
            long weightGradients = 2 * Vocabulary * Hidden * 4;
            long logits = Implementation == "plain" ? Tokens * Vocabulary * (12L + ElementBytes) : 256L << 20;
            return inputs + weightGradients + logits + (600L << 20);
        }
    }

    /// <summary>Formats the case as the single <c>--case</c> argument.</summary>
    public string ToArgument() => string.Join(
        ',',
        $"impl={Implementation}",
        $"vocab={Vocabulary}",
        $"hidden={Hidden}",
        $"tokens={Tokens}",
        $"dtype={DataType}",
        $"threads={Threads}",
        $"warmup={Warmup}",
        $"repeats={Repeats}",
        $"device={Device}",
        $"chunk_rows={ChunkRows}");

    /// <summary>Parses what <see cref="ToArgument"/> wrote.</summary>
    public static FusedCrossEntropyCase Parse(string argument)
    {
        var fields = argument.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty);
        string Field(string name) => fields.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--case is missing '{name}=': {argument}");
        long Long(string name) => long.Parse(Field(name), CultureInfo.InvariantCulture);
        return new FusedCrossEntropyCase(
            Field("impl"), Long("vocab"), Long("hidden"), Long("tokens"), Field("dtype"), (int)Long("threads"), (int)Long("warmup"), (int)Long("repeats"),
            fields.TryGetValue("device", out var device) ? device : "cpu",
            fields.ContainsKey("chunk_rows") ? Long("chunk_rows") : 0);
    }
}
