using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Generation;

/// <summary>
/// Prefill and decode tokens/s of <see cref="TextGenerator"/> (KV cache, greedy, no early stop) on a random Llama,
/// for each dtype and batch size, beside the physical bounds measured in the same run: prefill FLOPs over the
/// measured matmul rate, decode bytes of weights read per step over the measured memory-copy bandwidth.
/// Optionally runs the PyTorch peer (tests/Srt.Benchmarks/peers/generate_peer.py) on the same shapes.
/// </summary>
internal sealed class GenerationBenchmark : IBenchmark
{
    public string Name => "generate";

    public string Description => "generation prefill/decode tokens/s vs bounds [--size 25m|100m --threads 2 --prompt 128 --new 64 --batches 1,8 --dtypes float32,bfloat16 --repeats 3 --peer python3]";

    public int Run(string[] args, TextWriter output)
    {
        var options = BenchmarkArguments.Parse(args);
        torch.set_num_threads(options.Threads);
        var config = BenchmarkLlamaConfigs.ByName(options.Size);
        var tokenizer = SyntheticTokenizer.Create(config.VocabSize);
        var bandwidth = PhysicalRates.MemoryCopyBytesPerSecond();
        Emit(output, new { benchmark = Name, kind = "environment", threads = options.Threads, size = options.Size,
            load_average = LoadAverage(), memory_copy_gb_per_s = Round(bandwidth / 1e9) });

        foreach (var dtype in options.DTypes)
        {
            var matmul = PhysicalRates.MatmulFlopsPerSecond(dtype);
            using var model = LlamaForCausalLM.Create(config, new ModelLoadOptions { DType = dtype }, seed: 1);
            var generator = new TextGenerator(model, tokenizer, stopTokenIds: []);
            var shape = new ModelShape(model);
            generator.Generate([Prompt(config, 16, 0)], new GenerationOptions { Temperature = 0, MaxNewTokens = 4 }); // warm-up
            foreach (var batch in options.Batches)
            {
                var prompts = Enumerable.Range(0, batch).Select(row => Prompt(config, options.PromptTokens, row)).ToArray();
                var runs = Enumerable.Range(0, options.Repeats)
                    .Select(_ => generator.Generate(prompts, new GenerationOptions { Temperature = 0, MaxNewTokens = options.NewTokens }))
                    .ToArray();
                var prefill = runs.Max(r => batch * options.PromptTokens / r.PrefillDuration.TotalSeconds);
                var decode = runs.Max(r => batch * r.DecodeSteps / r.DecodeDuration.TotalSeconds);
                var prefillBound = matmul / shape.PrefillFlopsPerToken(options.PromptTokens);
                var decodeBound = shape.DecodeBound(batch, options.PromptTokens + options.NewTokens / 2, bandwidth, matmul);
                Emit(output, new
                {
                    benchmark = Name, implementation = "srt-torchsharp", size = options.Size, parameters = shape.Parameters,
                    dtype = dtype.ToString().ToLowerInvariant(), batch, threads = options.Threads,
                    prompt_tokens = options.PromptTokens, new_tokens = options.NewTokens, repeats = options.Repeats,
                    prefill_tokens_per_s = Round(prefill), prefill_bound_tokens_per_s = Round(prefillBound),
                    prefill_fraction_of_bound = Round(prefill / prefillBound, 3),
                    decode_tokens_per_s = Round(decode), decode_bound_tokens_per_s = Round(decodeBound.TokensPerSecond),
                    decode_bound = decodeBound.Kind, decode_fraction_of_bound = Round(decode / decodeBound.TokensPerSecond, 3),
                    matmul_gflop_per_s = Round(matmul / 1e9),
                });
            }
        }

        return options.PeerPython is null ? 0 : PeerRunner.Run(options, output);
    }

    /// <summary>Random ids, different per row, the same on every run (and in the peer: row r, position i → (7919·r + 104729·i) mod V).</summary>
    private static IReadOnlyList<int> Prompt(LlamaConfig config, int tokens, int row) =>
        Enumerable.Range(0, tokens).Select(i => (int)((7919L * row + 104729L * i + 17) % config.VocabSize)).ToArray();

    private static double Round(double value, int digits = 1) => Math.Round(value, digits);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    internal static void Emit(TextWriter output, object line)
    {
        output.WriteLine(JsonSerializer.Serialize(line));
        output.Flush();
    }
}
