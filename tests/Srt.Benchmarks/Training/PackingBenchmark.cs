using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Srt;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Training;

/// <summary>
/// <c>train-packing</c>: trained tokens/s of <see cref="TorchSharpTrainer"/> on an SRT-shaped mix of sequence lengths
/// (64 to 2,048 tokens, log-normal: many short answers, a long tail of long ones) with each batch layout: length buckets
/// (padded rows), packed rows attending one sequence at a time, and packed rows attending through the block-diagonal
/// mask. Every layout trains the same examples for one epoch on a fresh copy of the same ~42M model; layouts are
/// interleaved within each repeat. The first lines give the most packing can gain by removing padding alone: the tokens
/// (and attention work) of the length-bucketed rows of this very epoch over those of the sequences themselves.
/// </summary>
/// <remarks>
/// Options: <c>--examples 32</c>, <c>--global-batch 16</c>, <c>--micro-batch 4</c>, <c>--max-length 2048</c>,
/// <c>--layouts buckets,packed,packed-mask</c>, <c>--repeats 2</c>, <c>--threads 2</c>, <c>--median-length 320</c>.
/// </remarks>
internal sealed class PackingBenchmark : IBenchmark
{
    private const int PromptAndFrameTokens = 21; // ChatML frame around the one-letter prompt, plus the closing end of turn

    public string Name => "train-packing";

    public string Description => "SFT trained tokens/s: packed vs length-bucketed batches on a long-tailed 64-2,048-token mix";

    public int Run(string[] args, TextWriter output)
    {
        var options = Enumerable.Range(0, args.Length / 2).ToDictionary(i => args[2 * i].TrimStart('-'), i => args[2 * i + 1]);
        int Integer(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int threads = Integer("threads", 2), examplesCount = Integer("examples", 32), globalBatch = Integer("global-batch", 16);
        int microBatch = Integer("micro-batch", 4), maxLength = Integer("max-length", 2048), repeats = Integer("repeats", 2);
        int medianLength = Integer("median-length", 320);
        var layouts = options.GetValueOrDefault("layouts", "buckets,packed,packed-mask").Split(',');
        torch.set_num_threads(threads);

        var tokenizer = ModelTokenizer.FromPretrained(CharacterTokenizerFiles.Write());
        var template = ChatTemplate.Get("chatml");
        var lengths = LongTailedLengths(examplesCount, medianLength, 64, maxLength, seed: 1);
        var examples = Examples(lengths, seed: 2);
        Emit(output, new JsonObject
        {
            ["bench"] = "train-packing", ["examples"] = lengths.Length, ["min"] = lengths.Min(), ["median"] = Median(lengths),
            ["mean"] = Math.Round(lengths.Average(), 1), ["max"] = lengths.Max(), ["tokens"] = lengths.Sum(),
        });
        var ceiling = PaddingCeiling.OfLengthBuckets(lengths, globalBatch, microBatch);
        Emit(output, new JsonObject
        {
            ["bench"] = "train-packing", ["bucket_rows_tokens"] = ceiling.PaddedTokens, ["sequence_tokens"] = ceiling.SequenceTokens,
            ["ceiling_tokens"] = Math.Round(ceiling.TokenRatio, 3), ["ceiling_attention"] = Math.Round(ceiling.AttentionRatio, 3),
        });
        var (packedCells, packedInputs) = PaddingCeiling.OfPackedRows(lengths, globalBatch, microBatch, maxLength);
        Emit(output, new JsonObject
        {
            ["bench"] = "train-packing", ["packed_rows_cells"] = packedCells, ["packed_inputs"] = packedInputs,
            ["packed_padding"] = Math.Round((double)packedCells / packedInputs, 3),
        });
        var config = new LlamaConfig
        {
            VocabSize = 32000, HiddenSize = 512, IntermediateSize = 1376, NumHiddenLayers = 8, NumAttentionHeads = 8,
            NumKeyValueHeads = 8, RmsNormEps = 1e-5, MaxPositionEmbeddings = maxLength, TieWordEmbeddings = true,
        };

        // One short untimed run first: libtorch's first passes allocate and pick kernels.
        _ = Train(config, tokenizer, template, examples.Take(microBatch).ToList(), "packed", microBatch, microBatch, maxLength, threads);
        var rates = new Dictionary<string, List<double>>();
        for (int repeat = 1; repeat <= repeats; repeat++)
        {
            foreach (var layout in layouts)
            {
                var (trained, seconds) = Train(config, tokenizer, template, examples, layout, globalBatch, microBatch, maxLength, threads);
                double rate = trained / seconds;
                rates.TryAdd(layout, []);
                rates[layout].Add(rate);
                Emit(output, new JsonObject
                {
                    ["bench"] = "train-packing", ["layout"] = layout, ["repeat"] = repeat, ["params"] = Parameters(config),
                    ["trained_tokens"] = trained, ["seconds"] = Math.Round(seconds, 2), ["trained_tokens_per_second"] = Math.Round(rate, 1),
                    ["threads"] = threads, ["load_average"] = TrainingBenchmark.LoadAverage(),
                });
            }
        }
        foreach (var layout in layouts.Where(l => l != "buckets" && rates.ContainsKey("buckets")))
        {
            Emit(output, new JsonObject
            {
                ["bench"] = "train-packing", ["ratio"] = $"{layout}/buckets",
                ["per_repeat"] = new JsonArray([.. rates[layout].Zip(rates["buckets"], (a, b) => (JsonNode)Math.Round(a / b, 3))]),
            });
        }
        return 0;
    }

    private static (long TrainedTokens, double Seconds) Train(
        LlamaConfig config, ModelTokenizer tokenizer, IChatTemplate template, IReadOnlyList<SupervisedExample> examples, string layout,
        int globalBatch, int microBatch, int maxLength, int threads)
    {
        using var model = LlamaForCausalLM.Create(config, seed: 0);
        var options = new SupervisedTrainerOptions
        {
            Epochs = 1, GlobalBatchSize = globalBatch, MicroBatchSize = microBatch, WarmupRatio = 0, MaxSequenceLength = maxLength,
            Threads = threads, SaveSteps = 0,
            BatchLayout = layout == "buckets" ? BatchLayout.LengthBuckets : BatchLayout.Packed,
            PackedAttentionThroughMask = layout == "packed-mask",
        };
        var trainer = new TorchSharpTrainer(model, tokenizer, template, options);
        var clock = Stopwatch.StartNew();
        double lastReport = 0;
        var progress = new InlineProgress(p =>
        {
            lastReport = clock.Elapsed.TotalSeconds; // ends the timing before the run's final verification pass
            Console.Error.WriteLine($"  {layout} step {p.Step}/{p.TotalSteps}: {p.TokensPerSecond:F1} tokens/s, loss {p.Loss:F3}");
        });
        var result = trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(examples), progress).GetAwaiter().GetResult();
        return (result.TrainedTokens, lastReport);
    }

    /// <summary>Log-normal lengths (σ 0.8 around the median), clipped to [min, max]: SRT's sequences are mostly a few
    /// hundred tokens (response, feedback, refinement) with a long tail.</summary>
    internal static int[] LongTailedLengths(int count, int median, int min, int max, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            return (int)Math.Clamp(Math.Round(median * Math.Exp(0.8 * normal)), min, max);
        })];
    }

    private static List<SupervisedExample> Examples(int[] lengths, int seed)
    {
        var random = new Random(seed);
        IReadOnlyList<ChatMessage> prompt = [new ChatMessage(ChatRole.User, "x")];
        return [.. lengths.Select((length, i) => new SupervisedExample($"p{i}", prompt,
            [new SequenceSegment(new string([.. Enumerable.Range(0, length - PromptAndFrameTokens).Select(_ => (char)('a' + random.Next(26)))]))]))];
    }

    private static int Median(int[] values) => values.Order().ElementAt(values.Length / 2);

    private static long Parameters(LlamaConfig config)
    {
        using var model = LlamaForCausalLM.Create(config with { NumHiddenLayers = 1 });
        long oneLayer = model.Parameters().Sum(p => p.numel());
        using var twoLayers = LlamaForCausalLM.Create(config with { NumHiddenLayers = 2 });
        long perLayer = twoLayers.Parameters().Sum(p => p.numel()) - oneLayer;
        return oneLayer + (config.NumHiddenLayers - 1) * perLayer;
    }

    private static void Emit(TextWriter output, JsonObject line)
    {
        output.WriteLine(line.ToJsonString());
        output.Flush();
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
