using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Srt;
using Srt.Benchmarks.Generation;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Training;

/// <summary>
/// <c>train</c>: training tokens/s and MFU of <see cref="TorchSharpTrainer"/> (full fine-tuning, one optimizer step per
/// global batch) for ~25M and ~100M Llama configs in float32 and bfloat16, against a PyTorch peer running the same
/// model, batch and step (tests/Srt.Benchmarks/peers/train_llama_peer.py) in the same run, in interleaved repeats.
/// The peer runs twice per repeat: projecting only the trained positions to logits (Srt's fused loss does the same
/// work) and projecting every position (a plain full-logits cross-entropy).
/// </summary>
/// <remarks>
/// Options: <c>--models 25m,100m</c>, <c>--dtype float32,bfloat16</c>, <c>--threads 2</c>, <c>--steps 3</c> (timed; median
/// reported), <c>--warmup 1</c>, <c>--repeats 3</c>, <c>--peer-logits trained,all</c>, <c>--loss fused|plain</c>,
/// <c>--peer /usr/bin/python3</c> (<c>none</c> skips it).
/// Set <c>OMP_WAIT_POLICY=PASSIVE</c> in the environment: both processes inherit it.
/// </remarks>
internal sealed class TrainingBenchmark : IBenchmark
{
    private const int PromptTokens = 20; // "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n" in the character tokenizer

    public string Name => "train";

    public string Description => "TorchSharpTrainer tokens/s and MFU (25M/100M, fp32/bf16) vs a PyTorch peer";

    public int Run(string[] args, TextWriter output)
    {
        var options = Enumerable.Range(0, args.Length / 2).ToDictionary(i => args[2 * i].TrimStart('-'), i => args[2 * i + 1]);
        string Option(string name, string fallback) => options.GetValueOrDefault(name, fallback);
        int threads = int.Parse(Option("threads", "2"), CultureInfo.InvariantCulture);
        int steps = int.Parse(Option("steps", "3"), CultureInfo.InvariantCulture);
        int warmup = int.Parse(Option("warmup", "1"), CultureInfo.InvariantCulture);
        int repeats = int.Parse(Option("repeats", "3"), CultureInfo.InvariantCulture);
        var peerLogits = Option("peer-logits", "trained,all").Split(',');
        var loss = Option("loss", "fused") == "plain" ? LossImplementation.Plain : LossImplementation.Fused;
        string peer = Option("peer", "/usr/bin/python3");
        torch.set_num_threads(threads);
        string tokenizerFolder = CharacterTokenizerFiles.Write();
        foreach (var model in TrainingBenchmarkModel.All.Where(m => Option("models", "25m,100m").Split(',').Contains(m.Name)))
        {
            foreach (var dtype in Option("dtype", "float32,bfloat16").Split(','))
            {
                // Interleaved repeats (Srt, PyTorch, Srt, PyTorch, ...) so a drift in the machine's speed hits both sides.
                for (int repeat = 1; repeat <= repeats; repeat++)
                {
                    double matmul = MatmulGigaflops(dtype);
                    double srt = SrtTokensPerSecond(model, dtype, threads, steps, warmup, loss, tokenizerFolder);
                    var line = Result(model, dtype, "srt", srt, matmul, threads);
                    line["repeat"] = repeat;
                    line["loss_impl"] = loss.ToString().ToLowerInvariant();
                    line["load_average"] = LoadAverage();
                    Emit(output, line);
                    foreach (var logits in peer == "none" ? Array.Empty<string>() : peerLogits)
                    {
                        if (PeerResult(peer, model, dtype, threads, steps, warmup, logits) is not { } peerLine)
                        {
                            continue;
                        }
                        double peerRate = peerLine["tokens_per_second"]!.GetValue<double>();
                        var peerResult = Result(model, dtype, "pytorch", peerRate, peerLine["matmul_gflops"]!.GetValue<double>(), threads);
                        peerResult["repeat"] = repeat;
                        peerResult["logits"] = logits;
                        peerResult["torch"] = peerLine["torch"]?.GetValue<string>();
                        peerResult["load_average"] = LoadAverage();
                        Emit(output, peerResult);
                        Emit(output, new JsonObject
                        {
                            ["bench"] = "train", ["model"] = model.Name, ["dtype"] = dtype, ["repeat"] = repeat,
                            ["ratio"] = $"srt/pytorch-{logits}", ["tokens_per_second"] = Math.Round(srt / peerRate, 3),
                        });
                    }
                }
            }
        }
        return 0;
    }

    private static JsonObject Result(TrainingBenchmarkModel model, string dtype, string impl, double tokensPerSecond, double matmul, int threads) => new()
    {
        ["bench"] = "train",
        ["impl"] = impl,
        ["model"] = model.Name,
        ["params"] = model.Parameters,
        ["dtype"] = dtype,
        ["batch"] = model.Batch,
        ["seq"] = model.Sequence,
        ["threads"] = threads,
        ["tokens_per_second"] = Math.Round(tokensPerSecond, 1),
        ["model_gflops_per_second"] = Math.Round(tokensPerSecond * model.FlopsPerToken / 1e9, 1),
        ["matmul_gflops"] = Math.Round(matmul, 1),
        ["mfu"] = Math.Round(tokensPerSecond * model.FlopsPerToken / 1e9 / matmul, 3),
    };

    private static double SrtTokensPerSecond(
        TrainingBenchmarkModel model, string dtype, int threads, int steps, int warmup, LossImplementation loss, string tokenizerFolder)
    {
        var tokenizer = ModelTokenizer.FromPretrained(tokenizerFolder);
        var template = ChatTemplate.Get("chatml");
        var random = new Random(1);
        IReadOnlyList<ChatMessage> prompt = [new ChatMessage(ChatRole.User, "x")];
        var examples = Enumerable.Range(0, (steps + warmup) * model.Batch).Select(i => new SupervisedExample(
            $"b{i}", prompt, [new SequenceSegment(new string([.. Enumerable.Range(0, model.Sequence - PromptTokens - 1).Select(_ => (char)('a' + random.Next(26)))]))])).ToList();
        int length = template.EncodeForTraining(tokenizer, prompt, examples[0].Completion[0].Text).AllIds.Count;
        if (length != model.Sequence)
        {
            throw new InvalidOperationException($"Synthetic examples are {length} tokens, expected {model.Sequence}.");
        }
        using var llm = LlamaForCausalLM.Create(model.Config, new ModelLoadOptions { DType = dtype == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32 }, seed: 0);
        var options = new SupervisedTrainerOptions
        {
            Epochs = 1,
            GlobalBatchSize = model.Batch,
            MicroBatchSize = model.Batch,
            WarmupRatio = 0,
            MaxSequenceLength = model.Sequence,
            Threads = threads,
            SaveSteps = 0,
            Loss = loss,
        };
        var rates = new List<double>();
        var trainer = new TorchSharpTrainer(llm, tokenizer, template, options);
        var progress = new InlineProgress(p =>
        {
            Console.Error.WriteLine($"  srt {model.Name} {dtype} step {p.Step}: {p.TokensPerSecond:F1} tokens/s, loss {p.Loss:F3}");
            if (p.Step > warmup)
            {
                rates.Add(p.TokensPerSecond ?? 0);
            }
        });
        trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(examples), progress).GetAwaiter().GetResult();
        return Statistics.Median(rates);
    }

    private static JsonObject? PeerResult(string python, TrainingBenchmarkModel model, string dtype, int threads, int steps, int warmup, string logits)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "tests", "Srt.Benchmarks", "peers", "train_llama_peer.py"));
        foreach (var argument in model.PeerArguments(dtype, threads, steps, warmup, PromptTokens))
        {
            start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add("--logits");
        start.ArgumentList.Add(logits);
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        try
        {
            using var child = Process.Start(start)!;
            string text = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            return child.ExitCode == 0 && line is not null ? JsonNode.Parse(line)!.AsObject() : null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"  peer skipped: {python} could not start ({e.Message})");
            return null;
        }
    }

    /// <summary>The MFU reference (GFLOP/s): <see cref="PhysicalRates.MatmulFlopsPerSecond"/> in this process.</summary>
    internal static double MatmulGigaflops(string dtype) =>
        PhysicalRates.MatmulFlopsPerSecond(dtype == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32) / 1e9;

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Srt.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("Srt.sln not found above the benchmark's folder.");
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
