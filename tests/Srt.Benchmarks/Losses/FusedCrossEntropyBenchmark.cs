using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Srt.Benchmarks.Losses;

/// <summary>
/// <c>fused-ce</c>: peak memory and time of the fused linear cross-entropy against the plain full-logits path,
/// forward and backward with the weight requiring a gradient, each case in a fresh child process.
/// </summary>
/// <remarks>
/// Options (comma-separated lists): <c>--vocab 32000,128256</c>, <c>--hidden 2048</c>, <c>--tokens 1024,4096,16384</c>,
/// <c>--dtype float32,bfloat16</c>, <c>--impl plain,fused</c> (also <c>fused-kernel</c>: the fused path with its CUDA
/// chunks as one kernel each, cross_entropy.cu; on the CPU the same as <c>fused</c>), <c>--threads 2</c>, <c>--repeats 3</c> (cases over
/// 2 TFLOP run once without warm-up), <c>--memory-fraction 0.75</c> (skip a case whose estimated peak exceeds this
/// share of the memory available when it starts), <c>--device cpu|cuda</c> (on CUDA: inputs on the GPU, times with
/// synchronization, every case 1 warm-up and <c>--repeats</c> timed runs, peak from the CUDA allocator's statistics
/// (see <see cref="CudaMemory"/>), no memory-based skipping), <c>--chunk-rows auto,256,512</c> (the fused path's rows per
/// chunk, each value a separate fused case; <c>auto</c> is the library's default). <c>--case ...</c> is the child-process entry.
/// </remarks>
internal sealed class FusedCrossEntropyBenchmark : IBenchmark
{
    private const double LargeCaseFlops = 2e12;

    public string Name => "fused-ce";

    public string Description => "Fused vs plain linear cross-entropy: peak RSS (fresh process per case) and time";

    public int Run(string[] args, TextWriter output)
    {
        var options = ParseOptions(args);
        if (options.TryGetValue("case", out var caseArgument))
        {
            return FusedCrossEntropyChild.Run(FusedCrossEntropyCase.Parse(caseArgument), output);
        }

        int threads = int.Parse(Option(options, "threads", "2"), CultureInfo.InvariantCulture);
        int repeats = int.Parse(Option(options, "repeats", "3"), CultureInfo.InvariantCulture);
        double memoryFraction = double.Parse(Option(options, "memory-fraction", "0.75"), CultureInfo.InvariantCulture);
        string device = Option(options, "device", "cpu");
        if (device is not ("cpu" or "cuda"))
        {
            throw new ArgumentException($"--device must be cpu or cuda, not '{device}'.");
        }

        var results = new List<JsonObject>();
        foreach (var dtype in List(options, "dtype", "float32,bfloat16"))
        {
            foreach (var vocab in List(options, "vocab", "32000,128256").Select(long.Parse))
            {
                foreach (var tokens in List(options, "tokens", "1024,4096,16384").Select(long.Parse))
                {
                    foreach (var (impl, chunkRows) in Implementations(options))
                    {
                        var hidden = long.Parse(Option(options, "hidden", "2048"), CultureInfo.InvariantCulture);
                        var probe = new FusedCrossEntropyCase(impl, vocab, hidden, tokens, dtype, threads, 1, repeats, device, chunkRows);
                        var benchmarkCase = probe.Flops > LargeCaseFlops && device == "cpu" ? probe with { Warmup = 0, Repeats = 1 } : probe;
                        var result = RunCase(benchmarkCase, memoryFraction, output);
                        if (result is not null)
                        {
                            results.Add(result);
                        }
                    }
                }
            }
        }

        WriteRatios(results, output);
        return 0;
    }

    /// <summary>Gets the implementations to measure: plain once, fused once per <c>--chunk-rows</c> value (0 = automatic).</summary>
    private static IEnumerable<(string Implementation, long ChunkRows)> Implementations(Dictionary<string, string> options)
    {
        foreach (var impl in List(options, "impl", "plain,fused"))
        {
            if (impl is not ("fused" or "fused-kernel"))
            {
                yield return (impl, 0);
                continue;
            }

            foreach (var rows in List(options, "chunk-rows", "auto"))
            {
                yield return (impl, rows == "auto" ? 0 : long.Parse(rows, CultureInfo.InvariantCulture));
            }
        }
    }

    private static JsonObject? RunCase(FusedCrossEntropyCase benchmarkCase, double memoryFraction, TextWriter output)
    {
        // Host memory says nothing about a GPU case; on CUDA every case runs and an out-of-memory child reports an error.
        long available = benchmarkCase.Device == "cpu" ? ProcessMemory.AvailableBytes() : 0;
        if (available > 0 && benchmarkCase.EstimatedPeakBytes > available * memoryFraction)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                bench = "fused-ce",
                impl = benchmarkCase.Implementation,
                vocab = benchmarkCase.Vocabulary,
                hidden = benchmarkCase.Hidden,
                tokens = benchmarkCase.Tokens,
                dtype = benchmarkCase.DataType,
                skipped = $"estimated peak {benchmarkCase.EstimatedPeakBytes >> 20} MiB exceeds {memoryFraction:P0} of the {available >> 20} MiB available",
            }));
            return null;
        }

        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(FusedCrossEntropyBenchmark).Assembly.Location);
        }

        start.ArgumentList.Add("fused-ce");
        start.ArgumentList.Add("--case");
        start.ArgumentList.Add(benchmarkCase.ToArgument());
        using var child = Process.Start(start)!;
        string text = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (child.ExitCode != 0 || line is null)
        {
            output.WriteLine(JsonSerializer.Serialize(new { bench = "fused-ce", @case = benchmarkCase.ToArgument(), error = $"child exited with {child.ExitCode}" }));
            return null;
        }

        output.WriteLine(line);
        output.Flush();
        return JsonNode.Parse(line)!.AsObject();
    }

    private static void WriteRatios(List<JsonObject> results, TextWriter output)
    {
        foreach (var group in results.GroupBy(r => ((string)r["dtype"]!, (long)r["vocab"]!, (long)r["tokens"]!)))
        {
            var plain = group.FirstOrDefault(r => (string)r["impl"]! == "plain");
            if (plain is null)
            {
                continue;
            }

            string peakKey = plain.ContainsKey("peak_rss_mb") ? "peak_rss_mb" : "peak_cuda_allocated_mb";

            foreach (var fused in group.Where(r => (string)r["impl"]! != "plain"))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    bench = "fused-ce",
                    ratio = $"{(string)fused["impl"]!}/plain",
                    vocab = group.Key.Item2,
                    tokens = group.Key.Item3,
                    dtype = group.Key.Item1,
                    chunk_rows = (long?)fused["chunk_rows"],
                    peak_ratio = Math.Round((double)fused[peakKey]! / (double)plain[peakKey]!, 3),
                    increment_ratio = Math.Round((double)fused["increment_mb"]! / (double)plain["increment_mb"]!, 3),
                    time_ratio = Math.Round((double)fused["time_ms_median"]! / (double)plain["time_ms_median"]!, 3),
                }));
            }
        }
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected '--name value' pairs; got '{args[i]}'.");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    private static string Option(Dictionary<string, string> options, string name, string fallback) =>
        options.TryGetValue(name, out var value) ? value : fallback;

    private static string[] List(Dictionary<string, string> options, string name, string fallback) =>
        Option(options, name, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
