using System.Globalization;
using TorchSharp;

namespace Srt.Benchmarks.Generation;

/// <summary>Command-line settings of the <c>generate</c> benchmark.</summary>
internal sealed record BenchmarkArguments(
    string Size, int Threads, int PromptTokens, int NewTokens, IReadOnlyList<int> Batches,
    IReadOnlyList<torch.ScalarType> DTypes, int Repeats, string? PeerPython)
{
    public static BenchmarkArguments Parse(string[] args)
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
        string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
        int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        return new BenchmarkArguments(
            Get("size", "25m"), Int("threads", 2), Int("prompt", 128), Int("new", 64),
            Get("batches", "1,8").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
            Get("dtypes", "float32,bfloat16").Split(',').Select(ParseDType).ToArray(),
            Int("repeats", 3), values.GetValueOrDefault("peer"));
    }

    private static torch.ScalarType ParseDType(string name) => name switch
    {
        "float32" or "fp32" => torch.ScalarType.Float32,
        "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
        _ => throw new ArgumentException($"Unknown dtype '{name}'; use float32 or bfloat16."),
    };
}
