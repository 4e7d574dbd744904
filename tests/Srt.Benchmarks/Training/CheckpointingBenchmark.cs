using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Srt.Benchmarks.Losses;
using Srt.TorchSharp.Training;

namespace Srt.Benchmarks.Training;

/// <summary>
/// <c>checkpointing</c>: peak RSS and tokens/s of one training step (one row, fused loss, float32 on the CPU) with
/// activation checkpointing off and on, each configuration in a fresh child process, with the
/// <see cref="TrainingMemoryPlan"/> estimate beside each measured peak. A configuration whose planned peak exceeds
/// <c>--memory-gib</c> (or the memory available now) is reported as not fitting instead of run.
/// </summary>
/// <remarks>
/// Options: <c>--models 100m,400m</c>, <c>--tokens 1024,2048,4096,8192</c>, <c>--checkpointing off,on</c>,
/// <c>--training full|lora</c>, <c>--threads 2</c>, <c>--warmup-tokens 256</c>, <c>--memory-gib 24</c>.
/// <c>--case ...</c> is the child-process entry. After each off/on pair it prints the ratios the issue asks about.
/// </remarks>
internal sealed class CheckpointingBenchmark : IBenchmark
{
    private const string MmapThresholdVariable = "MALLOC_MMAP_THRESHOLD_";

    public string Name => "checkpointing";

    public string Description => "Activation checkpointing off/on: peak RSS, tokens/s and the memory plan (fresh process each)";

    public int Run(string[] args, TextWriter output)
    {
        var options = Enumerable.Range(0, args.Length / 2).ToDictionary(i => args[2 * i].TrimStart('-'), i => args[2 * i + 1]);
        string Option(string name, string fallback) => options.GetValueOrDefault(name, fallback);
        if (options.TryGetValue("case", out var caseArgument))
        {
            return CheckpointingChild.Run(CheckpointingCase.Parse(caseArgument), output);
        }

        int threads = int.Parse(Option("threads", "2"), CultureInfo.InvariantCulture);
        int warmupTokens = int.Parse(Option("warmup-tokens", "256"), CultureInfo.InvariantCulture);
        long memoryLimit = (long)(double.Parse(Option("memory-gib", "24"), CultureInfo.InvariantCulture) * (1L << 30));
        bool lora = Option("training", "full") == "lora";
        foreach (var model in Option("models", "100m,400m").Split(','))
        {
            foreach (var tokens in Option("tokens", "1024,2048,4096,8192").Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)))
            {
                var pair = new Dictionary<bool, JsonObject>();
                foreach (var checkpointing in Option("checkpointing", "off,on").Split(',').Select(c => c == "on"))
                {
                    var benchmarkCase = new CheckpointingCase(model, tokens, checkpointing, lora, threads, warmupTokens);
                    if (RunCase(benchmarkCase, memoryLimit, output) is { } result)
                    {
                        pair[checkpointing] = result;
                    }
                }
                if (pair.TryGetValue(false, out var off) && pair.TryGetValue(true, out var on))
                {
                    Emit(output, new JsonObject
                    {
                        ["bench"] = "checkpointing",
                        ["model"] = model,
                        ["tokens"] = tokens,
                        ["ratio"] = "on/off",
                        ["activation"] = Math.Round(on["activation_mib"]!.GetValue<double>() / off["activation_mib"]!.GetValue<double>(), 3),
                        ["step_time"] = Math.Round(on["step_seconds"]!.GetValue<double>() / off["step_seconds"]!.GetValue<double>(), 3),
                    });
                }
            }
        }
        return 0;
    }

    private static JsonObject? RunCase(CheckpointingCase benchmarkCase, long memoryLimit, TextWriter output)
    {
        var plan = TrainingMemoryPlan.Estimate(CheckpointingModels.ByName(benchmarkCase.Model), CheckpointingChild.Options(benchmarkCase), benchmarkCase.Tokens + 1);
        long available = ProcessMemory.AvailableBytes();
        string? reason = plan.PeakBytes > memoryLimit ? $"planned peak {TrainingMemoryPlan.FormatBytes(plan.PeakBytes)} exceeds {TrainingMemoryPlan.FormatBytes(memoryLimit)}"
            : available > 0 && plan.PeakBytes > available ? $"planned peak {TrainingMemoryPlan.FormatBytes(plan.PeakBytes)} exceeds the {TrainingMemoryPlan.FormatBytes(available)} available now"
            : null;
        if (reason is not null)
        {
            Emit(output, new JsonObject
            {
                ["bench"] = "checkpointing",
                ["model"] = benchmarkCase.Model,
                ["training"] = benchmarkCase.Lora ? "lora" : "full",
                ["tokens"] = benchmarkCase.Tokens,
                ["checkpointing"] = benchmarkCase.Checkpointing,
                ["plan_peak_mib"] = Math.Round(plan.PeakBytes / 1048576.0, 1),
                ["not_run"] = reason,
            });
            return null;
        }

        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(CheckpointingBenchmark).Assembly.Location);
        }
        // glibc's dynamic mmap threshold keeps freed tensors under 32 MiB in the heap, where fragmentation holds them in
        // RSS after they die; a fixed 128 KiB threshold returns every tensor's memory when it is freed, so the peak RSS
        // measures live tensors (as the plan does). An explicit setting in the environment wins.
        if (Environment.GetEnvironmentVariable(MmapThresholdVariable) is null)
        {
            start.Environment[MmapThresholdVariable] = "131072";
        }
        start.ArgumentList.Add("checkpointing");
        start.ArgumentList.Add("--case");
        start.ArgumentList.Add(benchmarkCase.ToArgument());
        Console.Error.WriteLine($"checkpointing: {benchmarkCase.ToArgument()} (load {LoadAverage()})");
        using var child = Process.Start(start)!;
        string text = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (child.ExitCode != 0 || line is null)
        {
            Emit(output, new JsonObject { ["bench"] = "checkpointing", ["case"] = benchmarkCase.ToArgument(), ["error"] = $"child exited with {child.ExitCode}" });
            return null;
        }
        var result = JsonNode.Parse(line)!.AsObject();
        result["malloc_mmap_threshold"] = start.Environment[MmapThresholdVariable];
        result["load_average"] = LoadAverage();
        Emit(output, result);
        return result;
    }

    private static void Emit(TextWriter output, JsonObject line)
    {
        output.WriteLine(line.ToJsonString());
        output.Flush();
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
