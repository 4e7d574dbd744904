using Microsoft.Extensions.AI;
using Srt.Testing;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Tests.Training;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loop;

/// <summary>
/// The getting-started flow with a real tiny TorchSharp policy and trainer, "killed" (each run is a new model loaded
/// from the same base, as a restarted process has) after stage 1's training, then during stage 2's generation, then
/// during stage 2's training. Stage 2 must see the stage-1 model every time, and nothing may be lost or repeated.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class LoopRestoreTests
{
    private static readonly IReadOnlyList<InstructionItem> StageOneItems =
        [.. Enumerable.Range(0, 8).Select(i => new InstructionItem($"s1-{i}", $"Repeat: {(char)('a' + i)}{(char)('n' + i)}"))];

    private static readonly IReadOnlyList<InstructionItem> StageTwoItems =
        [.. Enumerable.Range(0, 8).Select(i => new InstructionItem($"s2-{i}", $"Improve: {(char)('b' + i)}{(char)('m' + i)}"))];

    public static TheoryData<bool> Variants => [false, true];

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task GettingStarted_KilledAfterStageOneAndTwiceDuringStageTwo_StageTwoAlwaysSeesTheStageOneModel(bool lora)
    {
        using var folder = new TemporaryFolder();
        float[] baseLogits;
        using (var fresh = TrainingFixtures.Model())
        {
            baseLogits = TrainingFixtures.ProbeLogits(fresh);
        }

        var critic = LoopFixtures.FixedCritic();

        // Run 1: stage 1 to the end (generation, critique, training), then the process is gone.
        float[] stageOneLogits;
        string stageOneId;
        using (var run = new Run(folder.Path, lora, critic))
        {
            StageOneResult one = await run.Loop.RunStageOneAsync(StageOneItems);
            Assert.Equal(8, one.Kept);
            stageOneLogits = TrainingFixtures.ProbeLogits(run.Model.Model);
            stageOneId = run.Loop.WeightsId;
        }

        Assert.True(TrainingFixtures.MaxDifference(baseLogits, stageOneLogits) > 1e-4, "stage 1 should have changed the model");
        Assert.Equal(16, critic.Requests.Count);

        // Run 2: killed after stage 2's first generation batch.
        var seen = new List<float[]>();
        using (var run = new Run(folder.Path, lora, critic, seen))
        {
            using var kill = new CancellationTokenSource();
            var progress = new SyncStageProgress(p =>
            {
                if (p.Stage == 2 && p.Generated == 4)
                {
                    kill.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Loop.RunStageTwoAsync(StageTwoItems, progress, kill.Token));
            Assert.Equal(4, run.Policy.Prompts);
        }

        // Run 3: killed at stage 2's second training step.
        using (var run = new Run(folder.Path, lora, critic, seen))
        {
            using var kill = new CancellationTokenSource();
            var progress = new SyncStageProgress(p =>
            {
                if (p.Stage == 2 && p.Training?.Step == 2)
                {
                    kill.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Loop.RunStageTwoAsync(StageTwoItems, progress, kill.Token));
            Assert.Equal(4, run.Policy.Prompts);
        }

        Assert.True(Directory.Exists(Path.Combine(folder.Path, "stage2", "training", "checkpoint-2")));

        // Run 4: finishes stage 2, resuming its training from the checkpoint.
        float[] stageTwoLogits;
        string stageTwoId;
        using (var run = new Run(folder.Path, lora, critic, seen))
        {
            var steps = new List<int>();
            StageTwoResult two = await run.Loop.RunStageTwoAsync(StageTwoItems, new SyncStageProgress(p =>
            {
                if (p.Training is { } training && (steps.Count == 0 || steps[^1] != training.Step))
                {
                    steps.Add(training.Step);
                }
            }));
            Assert.Equal(0, run.Policy.Prompts);
            Assert.Equal(8, two.Kept);
            Assert.False(two.TrainingResumed);
            Assert.Equal([3, 4], steps);
            stageTwoLogits = TrainingFixtures.ProbeLogits(run.Model.Model);
            stageTwoId = run.Loop.WeightsId;
        }

        // Every stage-2 generation, in every run, saw the stage-1 model; each item was generated once; no critic call
        // was repeated.
        Assert.Equal(8, seen.Count);
        Assert.All(seen, logits => Assert.True(TrainingFixtures.MaxDifference(stageOneLogits, logits) <= 1e-5, $"stage 2 generated with other weights (max diff {TrainingFixtures.MaxDifference(stageOneLogits, logits)})"));
        Assert.Equal(16, critic.Requests.Count);
        string[] outputs = File.ReadAllLines(Path.Combine(folder.Path, "stage2", "outputs.jsonl"));
        Assert.Equal(8, outputs.Length);
        Assert.All(outputs, line => Assert.Contains($"\"weights\":\"{stageOneId}\"", line, StringComparison.Ordinal));
        Assert.True(TrainingFixtures.MaxDifference(stageOneLogits, stageTwoLogits) > 1e-6, "stage 2 should have changed the model");

        // Run 5: a rerun of the finished flow restores stage 1, then stage 2: the model is the stage-2 model.
        using (var run = new Run(folder.Path, lora, critic))
        {
            StageTwoResult again = await run.Loop.RunStageTwoAsync(StageTwoItems);
            Assert.True(again.TrainingResumed);
            Assert.Equal(stageTwoId, run.Loop.WeightsId);
            Assert.True(TrainingFixtures.MaxDifference(stageTwoLogits, TrainingFixtures.ProbeLogits(run.Model.Model)) <= 1e-5);
        }
    }

    /// <summary>One "process": a fresh base model, its policy, trainer and loop over the run directory.</summary>
    private sealed class Run : IDisposable
    {
        public Run(string runDirectory, bool lora, ICritic critic, List<float[]>? stageTwoLogits = null)
        {
            Model = new CausalLanguageModel(TrainingFixtures.Model(), TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML);
            Policy = new ObservedPolicy(new TorchSharpPolicyModel(Model, new TorchSharpPolicyModelOptions { BatchSize = 4 }), Model.Model, stageTwoLogits);
            var supervised = TrainingFixtures.Options(o =>
            {
                o.Epochs = 2;
                o.SaveSteps = 1;
                o.LearningRate = lora ? 2e-2 : 3e-3;
                o.Lora = lora ? new LoraOptions() : null;
            });
            var preference = TrainingFixtures.PreferenceOptions(o =>
            {
                o.Epochs = 2;
                o.SaveSteps = 1;
                o.LearningRate = lora ? 2e-2 : 3e-3;
                o.Lora = lora ? new LoraOptions() : null;
            });
            var trainer = new TorchSharpTrainer(Model, supervised, preference);
            Loop = new SelfRefinementLoop(Policy, critic, trainer, new SelfRefinementOptions
            {
                RunDirectory = runDirectory,
                MaxNewTokens = 6,
                StageTwoMaxNewTokens = 6,
                GenerationBatchSize = 4,
                Seed = 5,
            });
        }

        public CausalLanguageModel Model { get; }

        public ObservedPolicy Policy { get; }

        public SelfRefinementLoop Loop { get; }

        public void Dispose() => Model.Dispose();
    }

    /// <summary>
    /// The real policy, watched: before each stage-2 call it records the model's logits on a fixed input (what the
    /// weights are), and it wraps each stage-2 text into the self-refinement format a trained model writes, so
    /// stage 2 has pairs to train on (a model this small and this briefly trained does not learn the format).
    /// </summary>
    private sealed class ObservedPolicy(IPolicyModel inner, LlamaForCausalLM model, List<float[]>? stageTwoLogits) : IPolicyModel
    {
        public int Prompts { get; private set; }

        public async Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
            IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            bool stageTwo = prompts[0][^1].Text.StartsWith("Improve", StringComparison.Ordinal);
            if (stageTwo)
            {
                float[] logits = TrainingFixtures.ProbeLogits(model);
                stageTwoLogits?.AddRange(prompts.Select(_ => logits));
            }

            Prompts += prompts.Count;
            IReadOnlyList<PolicyCompletion> completions = await inner.GenerateAsync(prompts, options, cancellationToken);
            return completions.Select(completion =>
            {
                string text = "Answer " + completion.Text.Replace("#", string.Empty, StringComparison.Ordinal).Trim();
                return new PolicyCompletion(stageTwo ? SelfRefinementFormat.Default.Format(text, LoopFixtures.Feedback(4), text + " (improved)", 8) : text);
            }).ToList();
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);
    }

    private sealed class SyncStageProgress(Action<StageProgress> report) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => report(value);
    }
}
