using System.Globalization;

namespace Srt.Samples.Quickstart;

/// <summary>The command line: <c>[--quick] [--fresh] [--seed N] [--threads N] [--run-dir PATH] [--verbose]</c>.</summary>
internal sealed record QuickstartArguments(string RunDirectory, int Seed, bool Quick, bool Fresh, bool Help, int Threads, bool Verbose = false)
{
    public const string Usage =
        "Usage: dotnet run --project samples/Srt.Samples.Quickstart -- [--quick] [--fresh] [--seed N] [--threads N] [--run-dir PATH] [--verbose]\n" +
        "  --quick     tiny sizes: a smoke run of a minute or two (CI runs it)\n" +
        "  --fresh     delete the run directory first (otherwise a rerun continues where the last one stopped)\n" +
        "  --seed N    seed of the data, the model and sampling (default 1)\n" +
        "  --threads N torch CPU threads (default 2, or 1 on a one-core machine: measured 1.4x faster than 1 on 2 cores)\n" +
        "  --run-dir   the run directory (default runs/quickstart, or runs/quickstart-quick with --quick)\n" +
        "  --verbose   print full errors (stack traces)\n" +
        "Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (rerun to continue).";

    /// <summary>
    /// Gets the default torch thread count: two, as measured on a quiet 2-core machine (pretraining took 195 optimizer
    /// steps in 50 s with two threads against 136 with one); more were not measured and matrices this small gain little.
    /// </summary>
    public static int DefaultThreads { get; } = Math.Min(2, Environment.ProcessorCount);

    public static QuickstartArguments Parse(IReadOnlyList<string> args)
    {
        string? runDirectory = null;
        int seed = 1, threads = DefaultThreads;
        bool quick = false, fresh = false, help = false, verbose = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--fresh":
                    fresh = true;
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                case "--seed":
                    string value = Value(args, ref i);
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
                    {
                        throw new ArgumentException($"--seed needs a whole number, not '{value}'.");
                    }

                    break;
                case "--threads":
                    string count = Value(args, ref i);
                    if (!int.TryParse(count, NumberStyles.Integer, CultureInfo.InvariantCulture, out threads) || threads < 1)
                    {
                        throw new ArgumentException($"--threads needs a whole number ≥ 1, not '{count}'.");
                    }

                    break;
                case "--run-dir":
                    runDirectory = Value(args, ref i);
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        runDirectory ??= Path.Combine("runs", quick ? "quickstart-quick" : "quickstart");
        return new QuickstartArguments(runDirectory, seed, quick, fresh, help, threads, verbose);
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{args[i]} needs a value.");
        }

        return args[++i];
    }
}
