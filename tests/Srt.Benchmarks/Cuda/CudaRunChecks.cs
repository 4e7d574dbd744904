using Microsoft.Extensions.AI;
using Srt.Benchmarks.Generation;
using Srt.Benchmarks.Training;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Cuda;

/// <summary>End-to-end checks on CUDA: the supervised trainer learns, and greedy generation matches the CPU.</summary>
internal static class CudaRunChecks
{
    /// <summary>Trains a tiny model on CUDA to repeat one completion; the loss of the last steps must fall well below the first.</summary>
    public static Dictionary<string, object?> SupervisedTrainingLossFalls()
    {
        var tokenizer = ModelTokenizer.FromPretrained(CharacterTokenizerFiles.Write());
        var template = ChatTemplate.Get("chatml");
        var config = new LlamaConfig
        {
            VocabSize = 128,
            HiddenSize = 256,
            IntermediateSize = 512,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            RmsNormEps = 1e-5,
            MaxPositionEmbeddings = 128,
        };
        using var model = LlamaForCausalLM.Create(config, new ModelLoadOptions { Device = CudaCheckBenchmark.Target.ToString() }, seed: 3);
        IReadOnlyList<ChatMessage> prompt = [new ChatMessage(ChatRole.User, "say the phrase")];
        var examples = Enumerable.Range(0, 8)
            .Select(i => new SupervisedExample($"e{i}", prompt, [new SequenceSegment("the quick brown fox jumps over the lazy dog")]))
            .ToList();
        var options = new SupervisedTrainerOptions
        {
            Epochs = 6,
            GlobalBatchSize = 4,
            MicroBatchSize = 4,
            LearningRate = 3e-3,
            WarmupRatio = 0,
            MaxSequenceLength = 128,
            SaveSteps = 0,
        };
        var losses = new List<double>();
        var trainer = new TorchSharpTrainer(model, tokenizer, template, options);
        trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(examples), new InlineProgress(p => losses.Add(p.Loss)))
            .GetAwaiter().GetResult();
        bool onCuda = model.Parameters().All(p => p.device_type == CudaCheckBenchmark.Target.type);
        return new Dictionary<string, object?>
        {
            ["ok"] = onCuda && losses.Count >= 4 && losses[^1] < 0.5 * losses[0] && losses.All(double.IsFinite),
            ["steps"] = losses.Count,
            ["losses"] = losses.Select(TensorComparison.Round).ToArray(),
            ["parameters_on_target_device"] = onCuda,
        };
    }

    /// <summary>Greedy continuations of a random float32 model on the CPU and, with the same weights, on CUDA.</summary>
    public static Dictionary<string, object?> GreedyGenerationMatchesCpu()
    {
        const int Vocabulary = 1024;
        var tokenizer = SyntheticTokenizer.Create(Vocabulary);
        var config = new LlamaConfig
        {
            VocabSize = Vocabulary,
            HiddenSize = 256,
            IntermediateSize = 688,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            RmsNormEps = 1e-5,
            MaxPositionEmbeddings = 256,
        };
        using var model = LlamaForCausalLM.Create(config, seed: 9, initializerRange: 0.2);
        model.Eval();
        IReadOnlyList<IReadOnlyList<int>> prompts = [[5, 17, 300, 42, 8], [900, 1, 2, 3, 4, 5, 6, 7]];
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 24 };
        var cpu = new TextGenerator(model, tokenizer, stopTokenIds: []).Generate(prompts, options);
        model.To(CudaCheckBenchmark.Target, ScalarType.Float32);
        var cuda = new TextGenerator(model, tokenizer, stopTokenIds: []).Generate(prompts, options);
        var cpuIds = cpu.Sequences.Select(s => string.Join(' ', s.TokenIds)).ToArray();
        var cudaIds = cuda.Sequences.Select(s => string.Join(' ', s.TokenIds)).ToArray();
        int firstMismatch = cpuIds.Zip(cudaIds).Select(p => p.First.Split(' ').Zip(p.Second.Split(' ')).TakeWhile(t => t.First == t.Second).Count()).Min();
        return new Dictionary<string, object?>
        {
            ["ok"] = cpuIds.SequenceEqual(cudaIds) && cpu.Sequences.All(s => s.TokenIds.Count == options.MaxNewTokens),
            ["cpu_tokens"] = cpuIds,
            ["cuda_tokens"] = cudaIds,
            ["matching_prefix_tokens"] = firstMismatch,
        };
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
