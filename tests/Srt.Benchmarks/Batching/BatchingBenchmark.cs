using System.Diagnostics;
using System.Globalization;
using Srt.Benchmarks.Generation;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Kernels.Cpu;
using Srt.TorchSharp.Modeling;
using TorchSharp;

namespace Srt.Benchmarks.Batching;

/// <summary>
/// Useful generated tokens/s of static and continuous batching on one long-tailed workload (<see cref="BatchingWorkload"/>)
/// with a random Llama in float32, at each slot count, beside the decode bound measured in the same run (weights plus
/// KV bytes per step over the memory-copy bandwidth, or the step's FLOPs over the matmul rate, whichever is slower).
/// Static batching runs as <c>TorchSharpPolicyModel</c> does it (batches in order of prompt length, each decoding
/// until its longest row ends); padding never counts as a useful token. With <c>--repeats N</c> the whole set runs N
/// times, each repeat after measuring the rates again, and a median line per slot count and mode follows, since one
/// run's figures move by ±10–20% on a shared 2-core machine.
/// </summary>
internal sealed class BatchingBenchmark : IBenchmark
{
    public string Name => "batching";

    public string Description => "static vs continuous batching, useful tokens/s vs decode bound [--size 25m|100m --threads 2 --prompts 128 --slots 8,32 --modes static,continuous --seed 1 --repeats 1 --profile 0|1]";

    public int Run(string[] args, TextWriter output)
    {
        var options = Arguments.Parse(args);
        torch.set_num_threads(options.Threads);
        var config = BenchmarkLlamaConfigs.ByName(options.Size);
        var workload = BatchingWorkload.Create(options.Prompts, config.VocabSize, options.Seed);
        var bandwidth = PhysicalRates.MemoryCopyBytesPerSecond();
        var matmul = PhysicalRates.MatmulFlopsPerSecond(torch.ScalarType.Float32);
        using var model = LlamaForCausalLM.Create(config, new ModelLoadOptions { DType = torch.ScalarType.Float32 }, seed: 1);
        var shape = new ModelShape(model);
        GenerationBenchmark.Emit(output, new
        {
            benchmark = Name, kind = "environment", threads = options.Threads, size = options.Size, parameters = shape.Parameters,
            dtype = "float32", load_average = LoadAverage(), memory_copy_gb_per_s = Round(bandwidth / 1e9),
            matmul_gflop_per_s = Round(matmul / 1e9), prompts = options.Prompts,
            prompt_tokens = workload.Prompts.Sum(p => p.Count), output_tokens = workload.OutputTokens,
            output_tokens_median = Median(workload.Outputs), output_tokens_max = workload.Outputs.Max(),
            mean_decode_context = Round(workload.MeanDecodeContext),
            kernel_threads = KernelWorkers.Shared.OnOpenMpTeam ? "libtorch OpenMP team" : "own helper threads",
        });

        if (options.Profile)
        {
            // Diagnostic: where one step's milliseconds go at each slot count, instead of the workload.
            foreach (var slots in options.Slots)
            {
                DecodeStepProfile.Run(model, slots, (int)Math.Round(workload.MeanDecodeContext), output, options.Size);
            }
            return 0;
        }

        // No stop ids: every row runs to its imposed length.
        var generator = new TextGenerator(model, SyntheticTokenizer.Create(config.VocabSize), stopTokenIds: []);
        var greedy = new GenerationOptions { Temperature = 0, MaxNewTokens = BatchingWorkload.MaxOutput };
        generator.GenerateContinuous(workload.Prompts.Take(4).ToArray(), new GenerationOptions { Temperature = 0, MaxNewTokens = 8 }, 2); // warm-up

        // Each repeat re-measures the machine's rates before its runs, so a run's fraction is of the bound measured
        // next to it; with several repeats, a median line per slot count and mode follows.
        var results = new List<(int Slots, string Mode, double Useful, double Decode, double Fraction, double Bound)>();
        for (var repeat = 1; repeat <= options.Repeats; repeat++)
        {
            if (repeat > 1)
            {
                (bandwidth, matmul) = (PhysicalRates.MemoryCopyBytesPerSecond(), PhysicalRates.MatmulFlopsPerSecond(torch.ScalarType.Float32));
            }
            foreach (var slots in options.Slots)
            {
                foreach (var mode in options.Modes)
                {
                    var clock = Stopwatch.StartNew();
                    var (prefill, decode, steps, produced) = mode == "static"
                        ? RunStatic(generator, workload, greedy, slots)
                        : RunContinuous(generator, workload, greedy, slots);
                    var wall = clock.Elapsed.TotalSeconds;
                    if (produced != workload.OutputTokens)
                    {
                        throw new InvalidOperationException($"{mode}: generated {produced} tokens, the workload imposes {workload.OutputTokens}.");
                    }
                    // Decode steps produce every token but each row's first (sampled from its prefill).
                    var decodeTokens = produced - workload.Prompts.Length;
                    var decodeRate = decodeTokens / decode.TotalSeconds;
                    var bound = shape.DecodeBound(slots, (int)Math.Round(workload.MeanDecodeContext), bandwidth, matmul);
                    var products = DecodeStepProfile.StepProducts(model, slots);
                    results.Add((slots, mode, produced / wall, decodeRate, decodeRate / bound.TokensPerSecond, bound.TokensPerSecond));
                    GenerationBenchmark.Emit(output, new
                    {
                        benchmark = Name, mode, slots, size = options.Size, dtype = "float32", threads = options.Threads, repeat,
                        useful_tokens = produced, wall_s = Round(wall), useful_tokens_per_s = Round(produced / wall),
                        prefill_s = Round(prefill.TotalSeconds), decode_s = Round(decode.TotalSeconds), decode_steps = steps,
                        slot_steps_padding = (long)steps * slots - decodeTokens,
                        useful_decode_tokens_per_s = Round(decodeRate), decode_bound_tokens_per_s = Round(bound.TokensPerSecond),
                        decode_bound = bound.Kind, decode_fraction_of_bound = Round(decodeRate / bound.TokensPerSecond, 3),
                        memory_copy_gb_per_s = Round(bandwidth / 1e9), matmul_gflop_per_s = Round(matmul / 1e9),
                        decode_ms_per_step = Round(decode.TotalMilliseconds / steps, 2), weight_matmuls_ms_per_step = Round(products.Libtorch * 1e3, 2),
                        kernel_matmuls_ms_per_step = double.IsNaN(products.Kernel) ? (double?)null : Round(products.Kernel * 1e3, 2),
                        load_average = LoadAverage(),
                    });
                }
            }
        }
        if (options.Repeats > 1)
        {
            EmitMedians(output, options, results);
        }
        return 0;
    }

    // Per slot count and mode, the median over repeats; continuous ÷ static is taken within each repeat first. The
    // highest bound of any repeat is the best estimate of what the machine can do (a rate measured low only lowers a
    // repeat's bound), so the median decode rate is also given as a fraction of it.
    private static void EmitMedians(TextWriter output, Arguments options, List<(int Slots, string Mode, double Useful, double Decode, double Fraction, double Bound)> results)
    {
        foreach (var group in results.GroupBy(r => (r.Slots, r.Mode)))
        {
            var runs = group.ToList();
            var staticRuns = results.Where(r => r.Slots == group.Key.Slots && r.Mode == "static").ToList();
            double? overStatic = group.Key.Mode == "continuous" && staticRuns.Count == runs.Count
                ? Round(Statistics.Median(runs.Select((run, i) => run.Useful / staticRuns[i].Useful).ToList()), 2)
                : null;
            GenerationBenchmark.Emit(output, new
            {
                benchmark = "batching", kind = "median", mode = group.Key.Mode, slots = group.Key.Slots, size = options.Size, repeats = runs.Count,
                useful_tokens_per_s = Round(Statistics.Median(runs.Select(r => r.Useful).ToList())),
                useful_decode_tokens_per_s = Round(Statistics.Median(runs.Select(r => r.Decode).ToList())),
                decode_fraction_of_bound = Round(Statistics.Median(runs.Select(r => r.Fraction).ToList()), 3),
                decode_fraction_of_bound_range = new[] { Round(runs.Min(r => r.Fraction), 3), Round(runs.Max(r => r.Fraction), 3) },
                highest_bound_tokens_per_s = Round(runs.Max(r => r.Bound)),
                decode_fraction_of_highest_bound = Round(Statistics.Median(runs.Select(r => r.Decode).ToList()) / runs.Max(r => r.Bound), 3),
                useful_over_static = overStatic,
            });
        }
    }

    private static (TimeSpan Prefill, TimeSpan Decode, int Steps, long Produced) RunStatic(
        TextGenerator generator, BatchingWorkload workload, GenerationOptions options, int slots)
    {
        var (prefill, decode, steps, produced) = (TimeSpan.Zero, TimeSpan.Zero, 0, 0L);
        var order = Enumerable.Range(0, workload.Prompts.Length).OrderBy(i => workload.Prompts[i].Count);
        foreach (var batch in order.Chunk(slots))
        {
            var result = generator.Generate(Plan(workload, options, batch), null, default);
            (prefill, decode, steps) = (prefill + result.PrefillDuration, decode + result.DecodeDuration, steps + result.DecodeSteps);
            produced += result.Sequences.Sum(s => (long)s.CompletionTokens);
        }
        return (prefill, decode, steps, produced);
    }

    private static (TimeSpan Prefill, TimeSpan Decode, int Steps, long Produced) RunContinuous(
        TextGenerator generator, BatchingWorkload workload, GenerationOptions options, int slots)
    {
        var result = generator.GenerateContinuous(Plan(workload, options, Enumerable.Range(0, workload.Prompts.Length).ToArray()), slots, null, default);
        return (result.PrefillDuration, result.DecodeDuration, result.DecodeSteps, result.Sequences.Sum(s => (long)s.CompletionTokens));
    }

    private static GenerationPlan Plan(BatchingWorkload workload, GenerationOptions options, int[] rows) =>
        new(rows.Select(i => workload.Prompts[i]).ToArray(), options, rows.Select(i => (long)i).ToArray())
        {
            RowMaxNewTokens = rows.Select(i => workload.Outputs[i]).ToArray(),
        };

    private static double Median(int[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2.0;
    }

    private static double Round(double value, int digits = 1) => Math.Round(value, digits);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed record Arguments(string Size, int Threads, int Prompts, IReadOnlyList<int> Slots, IReadOnlyList<string> Modes, int Seed, bool Profile, int Repeats)
    {
        public static Arguments Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                {
                    throw new ArgumentException($"Expected '--name value' pairs; got '{args[i]}'.");
                }
                values[args[i][2..]] = args[++i];
            }
            int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            var modes = values.GetValueOrDefault("modes", "static,continuous").Split(',');
            if (modes.FirstOrDefault(m => m is not ("static" or "continuous")) is { } unknown)
            {
                throw new ArgumentException($"Unknown --modes entry '{unknown}'; use static and/or continuous.");
            }
            return new Arguments(
                values.GetValueOrDefault("size", "25m"), Int("threads", 2), Int("prompts", 128),
                values.GetValueOrDefault("slots", "8,32").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
                modes, Int("seed", 1), Int("profile", 0) != 0, Math.Max(1, Int("repeats", 1)));
        }
    }
}
