using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Srt.Testing;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Tests.Training;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loop;

/// <summary>
/// Two self-improvement rounds with a real tiny TorchSharp policy and trainer, the process "restarted" (a new model
/// loaded from the same base) before round 2: round 2's DPO reference must be the round-1 model — not the base, not the
/// stage-1 or stage-2 model — both with full fine-tuning and with LoRA (where each step's adapters are merged into the
/// base before the next step attaches its own, so "adapters off" is the previous round's model).
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class RoundReferenceTests
{
    private static readonly string[] Steps = ["stage1", "stage2", "round1"];

    public static TheoryData<bool> Variants => [false, true];

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task RunRound_RoundTwoAfterARestart_DpoReferenceIsTheRoundOneModel(bool lora)
    {
        using var folder = new TemporaryFolder();

        // Process 1: stages 1 and 2, then round 1.
        float[] roundOneLogits;
        using (var run = new Run(folder.Path, lora))
        {
            await run.Loop.RunStageOneAsync(Items("Repeat", 4));
            await run.Loop.RunStageTwoAsync(Items("Improve", 4));
            StageTwoResult roundOne = await run.Loop.RunRoundAsync(1, Items("Again", 4));
            Assert.Equal(4, roundOne.Kept);
            roundOneLogits = TrainingFixtures.ProbeLogits(run.Model.Model);
        }

        // Process 2: round 2 only; the loop must restore stage 1, stage 2 and round 1 before generating and training.
        IReadOnlyList<PreferencePair> pairs;
        using (var run = new Run(folder.Path, lora))
        {
            StageTwoResult roundTwo = await run.Loop.RunRoundAsync(2, Items("Once more", 4));
            Assert.Equal(4, roundTwo.Kept);
            pairs = run.Trainer.Requests.Single(request => request.Name == "round2").Pairs;
        }

        // What the trainer used as the reference (its precomputed cache) against each step's model, computed here.
        var used = ReadReferenceCache(Path.Combine(folder.Path, "round2", "training", ReferenceLogProbs.CacheFileName), pairs);
        float[] baseModel = ModelAfter(folder.Path, lora, 0, pairs, out _);
        float[] stageOne = ModelAfter(folder.Path, lora, 1, pairs, out _);
        float[] stageTwo = ModelAfter(folder.Path, lora, 2, pairs, out _);
        float[] roundOneModel = ModelAfter(folder.Path, lora, 3, pairs, out float[] restoredLogits);

        Assert.True(TrainingFixtures.MaxDifference(roundOneLogits, restoredLogits) <= 1e-5, "the restored chain should be the round-1 model of process 1");
        Assert.True(TrainingFixtures.MaxDifference(used, roundOneModel) <= 1e-4, $"reference vs round-1 model: max diff {TrainingFixtures.MaxDifference(used, roundOneModel)}");
        Assert.True(TrainingFixtures.MaxDifference(used, stageTwo) > 1e-3, $"reference vs stage-2 model: max diff {TrainingFixtures.MaxDifference(used, stageTwo)}");
        Assert.True(TrainingFixtures.MaxDifference(used, stageOne) > 1e-3, $"reference vs stage-1 model: max diff {TrainingFixtures.MaxDifference(used, stageOne)}");
        Assert.True(TrainingFixtures.MaxDifference(used, baseModel) > 1e-3, $"reference vs base model: max diff {TrainingFixtures.MaxDifference(used, baseModel)}");
    }

    private static IReadOnlyList<InstructionItem> Items(string verb, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new InstructionItem($"{verb.Replace(' ', '-')}-{i}", $"{verb}: {(char)('c' + i)}{(char)('p' + i)}"))];

    /// <summary>Chosen then rejected sequence log-probs of the pairs under the model that the first <paramref name="steps"/> steps made.</summary>
    private static float[] ModelAfter(string runDirectory, bool lora, int steps, IReadOnlyList<PreferencePair> pairs, out float[] logits)
    {
        using var run = new Run(runDirectory, lora);
        foreach (string step in Steps.Take(steps))
        {
            string stepFolder = Path.Combine(runDirectory, step);
            var marker = JsonNode.Parse(File.ReadAllText(Path.Combine(stepFolder, "training.done.json")))!;
            string checkpoint = Path.GetFullPath(Path.Combine(stepFolder, marker["checkpointDirectory"]!.GetValue<string>()));
            run.Trainer.Inner.RestoreAsync(checkpoint).GetAwaiter().GetResult();
        }

        logits = TrainingFixtures.ProbeLogits(run.Model.Model);
        PreferenceTrainerOptions options = run.Trainer.Inner.PreferenceOptions;
        var encoder = new TrainingSequenceEncoder(TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, options.MaxSequenceLength, options.DpoScoresEndOfTurn);
        var encoded = pairs.Select(pair => encoder.Encode(pair, out _)!.Value).ToList();
        var rows = encoded.Select(pair => pair.Chosen).Concat(encoded.Select(pair => pair.Rejected)).ToList();
        return SequenceBatch.SequenceLogProbsNoGrad(run.Model.Model, rows, new LanguageModelLossOptions { Implementation = options.Loss }, 4);
    }

    private static float[] ReadReferenceCache(string path, IReadOnlyList<PreferencePair> pairs)
    {
        var byId = File.ReadLines(path).Select(line => JsonNode.Parse(line)!).ToDictionary(o => o["id"]!.GetValue<string>());
        return [.. pairs.Select(pair => byId[pair.Id]["chosen_logp"]!.GetValue<float>()), .. pairs.Select(pair => byId[pair.Id]["rejected_logp"]!.GetValue<float>())];
    }

    /// <summary>One "process": a fresh base model, its policy, trainer and loop over the run directory.</summary>
    private sealed class Run : IDisposable
    {
        public Run(string runDirectory, bool lora)
        {
            Model = new CausalLanguageModel(TrainingFixtures.Model(), TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML);
            var policy = new SelfRefiningPolicy(new TorchSharpPolicyModel(Model, new TorchSharpPolicyModelOptions { BatchSize = 4 }));
            var supervised = TrainingFixtures.Options(o =>
            {
                o.Epochs = 2;
                o.LearningRate = lora ? 2e-2 : 3e-3;
                o.Lora = lora ? new LoraOptions() : null;
            });

            // A large β and an NLL term so that one short DPO run moves the log-probs well past float noise.
            var preference = TrainingFixtures.PreferenceOptions(o =>
            {
                o.Epochs = 2;
                o.LearningRate = lora ? 2e-2 : 3e-3;
                o.DpoBeta = 0.5;
                o.DpoNllWeight = 1;
                o.Lora = lora ? new LoraOptions() : null;
            });
            Trainer = new RequestRecordingTrainer(new TorchSharpTrainer(Model, supervised, preference));
            Loop = new SelfRefinementLoop(policy, LoopFixtures.FixedCritic(), Trainer, new SelfRefinementOptions
            {
                RunDirectory = runDirectory,
                MaxNewTokens = 6,
                StageTwoMaxNewTokens = 6,
                GenerationBatchSize = 4,
                Seed = 5,
            });
        }

        public CausalLanguageModel Model { get; }

        public RequestRecordingTrainer Trainer { get; }

        public SelfRefinementLoop Loop { get; }

        public void Dispose() => Model.Dispose();
    }

    /// <summary>The real trainer, with the preference requests it was given recorded.</summary>
    private sealed class RequestRecordingTrainer(TorchSharpTrainer inner) : ITrainer
    {
        public TorchSharpTrainer Inner => inner;

        public List<PreferenceTrainingRequest> Requests { get; } = [];

        public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
            inner.TrainSupervisedAsync(request, progress, cancellationToken);

        public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            Requests.Add(request);
            return inner.TrainPreferenceAsync(request, progress, cancellationToken);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);
    }

    /// <summary>
    /// The real policy; outside stage 1 it wraps each text into the self-refinement format a trained model writes, so
    /// stage 2 and the rounds have pairs (a model this small and this briefly trained does not learn the format).
    /// </summary>
    private sealed class SelfRefiningPolicy(IPolicyModel inner) : IPolicyModel
    {
        public async Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
            IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            bool stageOne = prompts[0][^1].Text.StartsWith("Repeat", StringComparison.Ordinal);
            IReadOnlyList<PolicyCompletion> completions = await inner.GenerateAsync(prompts, options, cancellationToken);
            return completions.Select(completion =>
            {
                string text = "Answer " + completion.Text.Replace("#", string.Empty, StringComparison.Ordinal).Trim();
                return new PolicyCompletion(stageOne ? text : SelfRefinementFormat.Default.Format(text, LoopFixtures.Feedback(4), text + " (improved)", 8));
            }).ToList();
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);
    }

}
