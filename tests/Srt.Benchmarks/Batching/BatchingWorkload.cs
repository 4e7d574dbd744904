namespace Srt.Benchmarks.Batching;

/// <summary>
/// The prompts and imposed output lengths of the <c>batching</c> benchmark, drawn from a seeded generator so every
/// run (and every batching mode within a run) sees the same workload. Prompt lengths are uniform in
/// [<see cref="MinPrompt"/>, <see cref="MaxPrompt"/>]; output lengths are log-normal (median 64, σ 1.2) clipped to
/// [<see cref="MinOutput"/>, <see cref="MaxOutput"/>]: most answers are short, a few are very long, as with real
/// chat models. Lengths are imposed per row (the generator ignores EOS), so a random-weight model stands in for a
/// trained one.
/// </summary>
internal sealed class BatchingWorkload
{
    public const int MinPrompt = 16;
    public const int MaxPrompt = 256;
    public const int MinOutput = 16;
    public const int MaxOutput = 768;

    private BatchingWorkload(IReadOnlyList<int>[] prompts, int[] outputs)
    {
        Prompts = prompts;
        Outputs = outputs;
    }

    public IReadOnlyList<int>[] Prompts { get; }

    public int[] Outputs { get; }

    public long OutputTokens => Outputs.Sum(n => (long)n);

    /// <summary>The mean context (cached tokens) a generated token attends over: prompt plus the tokens before it.</summary>
    public double MeanDecodeContext =>
        Enumerable.Range(0, Prompts.Length).Sum(i => Outputs[i] * (Prompts[i].Count + (Outputs[i] - 1) / 2.0)) / OutputTokens;

    public static BatchingWorkload Create(int count, int vocabulary, int seed)
    {
        var random = new Random(seed);
        var prompts = new IReadOnlyList<int>[count];
        var outputs = new int[count];
        for (var i = 0; i < count; i++)
        {
            var length = random.Next(MinPrompt, MaxPrompt + 1);
            prompts[i] = Enumerable.Range(0, length).Select(_ => random.Next(vocabulary)).ToArray();
            outputs[i] = (int)Math.Clamp(Math.Round(64 * Math.Exp(1.2 * Normal(random))), MinOutput, MaxOutput);
        }
        return new BatchingWorkload(prompts, outputs);
    }

    private static double Normal(Random random)
    {
        // Box–Muller; 1 - U keeps the logarithm finite.
        var u = 1 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
