using System.Diagnostics;

namespace Srt.Benchmarks.Losses;

/// <summary>
/// The timed part of one <c>fused-ce</c> case, shared by the CPU and CUDA children: warm-up passes, then timed ones,
/// each logged to stderr; the median of the timed ones and the last loss.
/// </summary>
internal static class FusedCrossEntropyPasses
{
    /// <param name="benchmarkCase">The case (warm-up and repeat counts, and its name for the log).</param>
    /// <param name="pass">One forward and backward pass; returns the loss. Runs inside the timed span.</param>
    /// <param name="afterPass">Work after each pass that must not be timed, or null.</param>
    public static (double MedianMs, int Repeats, float Loss) Run(FusedCrossEntropyCase benchmarkCase, Func<float> pass, Action? afterPass = null)
    {
        var times = new List<double>();
        float loss = 0;
        for (int i = 0; i < benchmarkCase.Warmup + benchmarkCase.Repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            loss = pass();
            watch.Stop();
            afterPass?.Invoke();
            Console.Error.WriteLine($"  {benchmarkCase.ToArgument()} iteration {i}: {watch.Elapsed.TotalMilliseconds:F1} ms, loss {loss:F4}");
            if (i >= benchmarkCase.Warmup)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        return (Statistics.Median(times), times.Count, loss);
    }
}
