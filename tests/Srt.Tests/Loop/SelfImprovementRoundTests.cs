using System.Text.Json.Nodes;
using Srt.Evaluation;
using Srt.Testing;
using Srt.Tests.Evaluation;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

/// <summary>
/// Rounds after stage 2 (<see cref="SelfRefinementLoop.RunRoundAsync"/>): each generates with the previous step's
/// model, keeps its own improved items as pairs, trains from (and so against) that model in its own folder, and resumes
/// like the stages. Each loop is a new one over the same run directory where a restarted process is meant.
/// </summary>
public sealed class SelfImprovementRoundTests
{
    [Fact]
    public async Task RunRound_AfterStageTwo_PairsComeFromTheRoundsOwnOutputsOfTheStageTwoModel()
    {
        using var rounds = new RoundHarness();
        string stageTwo = await rounds.RunStagesAsync();
        SelfRefinementLoop loop = rounds.Harness.CreateLoop();
        string? weightsWhenTraining = null;
        rounds.Harness.Trainer.TrainPreferenceAsyncCallback = (request, progress, token) =>
        {
            weightsWhenTraining = loop.WeightsId;
            return TestTrainer.DefaultTrainAsync(request.OutputDirectory, progress);
        };

        StageTwoResult result = await loop.RunRoundAsync(1, RoundHarness.Items("r1"));

        Assert.Equal(3, result.Kept);
        Assert.All(rounds.Harness.Folder.Lines("round1", "outputs.jsonl"), line => Assert.Equal(stageTwo, Field(line, "weights")));
        Assert.Equal(["better r1-0", "better r1-1", "better r1-2"], rounds.Harness.Folder.Lines("round1", "pairs.jsonl").Select(line => Field(line, "chosen")));
        Assert.Equal(["first r1-0", "first r1-1", "first r1-2"], rounds.Harness.Folder.Lines("round1", "pairs.jsonl").Select(line => Field(line, "rejected")));
        PreferenceTrainingRequest request = rounds.Harness.Trainer.PreferenceRequests[^1];
        Assert.Equal("round1", request.Name);
        Assert.Equal(rounds.Harness.Folder.File("round1", "training"), request.OutputDirectory);
        Assert.Equal(["r1-0", "r1-1", "r1-2"], request.Pairs.Select(pair => pair.Id));

        // The policy trained from (the DPO reference) is the stage-2 model, and the marker records it.
        Assert.Equal(stageTwo, weightsWhenTraining);
        Assert.Equal(stageTwo, Field(File.ReadAllText(rounds.Harness.Folder.File("round1", "training.done.json")), "startWeights"));
        Assert.StartsWith("round1-", loop.WeightsId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunRound_RoundTwoInANewLoop_RestoresEveryStepInOrderAndTrainsFromRoundOne()
    {
        using var rounds = new RoundHarness();
        await rounds.RunStagesAsync();
        SelfRefinementLoop first = rounds.Harness.CreateLoop();
        await first.RunRoundAsync(1, RoundHarness.Items("r1"));
        string roundOne = first.WeightsId;
        int restoresBefore = rounds.Harness.Trainer.Restored.Count;
        var restoredWhenGenerating = new List<string[]>();
        rounds.Answer(instruction => restoredWhenGenerating.Add([.. rounds.Harness.Trainer.Restored.Skip(restoresBefore)]));

        SelfRefinementLoop second = rounds.Harness.CreateLoop();
        StageTwoResult result = await second.RunRoundAsync(2, RoundHarness.Items("r2"));

        // A LoRA checkpoint holds only its own adapters, so each step is restored on top of the one before it.
        string[] chain = [rounds.Checkpoint("stage1"), rounds.Checkpoint("stage2"), rounds.Checkpoint("round1")];
        Assert.All(restoredWhenGenerating, restored => Assert.Equal(chain, restored));
        Assert.Equal(3, result.Kept);
        Assert.All(rounds.Harness.Folder.Lines("round2", "outputs.jsonl"), line => Assert.Equal(roundOne, Field(line, "weights")));
        Assert.Equal(roundOne, Field(File.ReadAllText(rounds.Harness.Folder.File("round2", "training.done.json")), "startWeights"));
        Assert.Equal("round2", rounds.Harness.Trainer.PreferenceRequests[^1].Name);
        Assert.StartsWith("round2-", second.WeightsId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunRound_KilledMidGenerationThenRerun_GeneratesEachItemOnceAndTrainsOnce()
    {
        using var rounds = new RoundHarness();
        await rounds.RunStagesAsync();
        rounds.Harness.Options.GenerationBatchSize = 2;
        int preferenceRunsBefore = rounds.Harness.Trainer.PreferenceRequests.Count;
        int promptsBefore = rounds.Harness.Policy.PromptCount;
        IReadOnlyList<InstructionItem> items = RoundHarness.Items("r1", 6);
        var reports = new List<StageProgress>();
        using var kill = new CancellationTokenSource();
        var progress = new SynchronousProgress(report =>
        {
            reports.Add(report);
            if (report.Generated == 2)
            {
                kill.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rounds.Harness.CreateLoop().RunRoundAsync(1, items, progress, kill.Token));
        Assert.Equal(2, rounds.Harness.Policy.PromptCount - promptsBefore);
        Assert.False(File.Exists(rounds.Harness.Folder.File("round1", "training.done.json")));

        StageTwoResult result = await rounds.Harness.CreateLoop().RunRoundAsync(1, items);

        Assert.Equal(6, rounds.Harness.Policy.PromptCount - promptsBefore);
        Assert.Equal(6, result.Kept);
        Assert.Equal(4, result.GeneratedThisRun);
        Assert.Equal(6, rounds.Harness.Folder.Lines("round1", "outputs.jsonl").Length);
        Assert.Equal(preferenceRunsBefore + 1, rounds.Harness.Trainer.PreferenceRequests.Count);
        Assert.All(reports, report => Assert.Equal(1, report.Round));

        // A third run finds the round done: it restores the round's model and trains nothing.
        SelfRefinementLoop third = rounds.Harness.CreateLoop();
        StageTwoResult again = await third.RunRoundAsync(1, items);
        Assert.True(again.TrainingResumed);
        Assert.Equal(rounds.Checkpoint("round1"), rounds.Harness.Trainer.Restored[^1]);
        Assert.Equal(Field(File.ReadAllText(rounds.Harness.Folder.File("round1", "training.done.json")), "id"), third.WeightsId);
        Assert.Equal(preferenceRunsBefore + 1, rounds.Harness.Trainer.PreferenceRequests.Count);
    }

    [Fact]
    public async Task RunRound_PreviousRoundNotTrained_FailsNamingItsMarkerBeforeAnyCall()
    {
        using var rounds = new RoundHarness();
        await rounds.RunStagesAsync();
        int prompts = rounds.Harness.Policy.PromptCount;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => rounds.Harness.CreateLoop().RunRoundAsync(2, RoundHarness.Items("r2")));

        Assert.Contains(rounds.Harness.Folder.File("round1", "training.done.json"), error.Message, StringComparison.Ordinal);
        Assert.Equal(prompts, rounds.Harness.Policy.PromptCount);
        Assert.False(Directory.Exists(rounds.Harness.Folder.File("round2")));
    }

    [Fact]
    public async Task RunRound_StageTwoNotTrained_FailsNamingStageTwosMarker()
    {
        using var rounds = new RoundHarness();
        await rounds.Harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => rounds.Harness.CreateLoop().RunRoundAsync(1, RoundHarness.Items("r1")));

        Assert.Contains(rounds.Harness.Folder.File("stage2", "training.done.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("RunStageTwoAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunRound_RoundZero_ThrowsArgumentOutOfRange()
    {
        using var rounds = new RoundHarness();

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => rounds.Harness.CreateLoop().RunRoundAsync(0, RoundHarness.Items("r0")));

        Assert.Equal("round", error.ParamName);
    }

    [Fact]
    public async Task RunRound_StageTwoTrainedAgainAfterRoundOne_RoundTwoFailsNamingTheStaleRound()
    {
        using var rounds = new RoundHarness();
        await rounds.RunStagesAsync();
        await rounds.Harness.CreateLoop().RunRoundAsync(1, RoundHarness.Items("r1"));
        File.Delete(rounds.Harness.Folder.File("stage2", "training.done.json"));
        await rounds.Harness.CreateLoop().RunStageTwoAsync(RoundHarness.Items("s2"));
        int prompts = rounds.Harness.Policy.PromptCount;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => rounds.Harness.CreateLoop().RunRoundAsync(2, RoundHarness.Items("r2")));

        Assert.Contains(rounds.Harness.Folder.File("round1", "training.done.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("Run round1 again", error.Message, StringComparison.Ordinal);
        Assert.Equal(prompts, rounds.Harness.Policy.PromptCount);
    }

    [Fact]
    public async Task Evaluation_StageTwoAndEachRound_ComparedAsCheckpointsOfTheirOwnWeights()
    {
        using var rounds = new RoundHarness();
        var evaluation = new EvaluationRunner(
            new EvaluationOptions { RunDirectory = rounds.Harness.Folder.Path, BaselineCheckpoint = RunLayout.StageTwoFolderName },
            cache => new PairwiseJudge(new ScriptedJudgeClient { Verdict = (a, b) => a.Length >= b.Length ? "[[A]]" : "[[B]]" }, new PairwiseJudgeOptions { CacheDirectory = cache, Retry = null }));
        EvaluationItem[] items = [new("e1", "Name a colour.") { ExpectedAnswer = "blue" }];

        // After each step, its model answers the evaluation set; each step's model answers a little more.
        var checkpoints = new List<(string Name, string Weights)> { (RunLayout.StageTwoFolderName, await rounds.RunStagesAsync()) };
        for (int round = 1; round <= 2; round++)
        {
            SelfRefinementLoop loop = rounds.Harness.CreateLoop();
            await loop.RunRoundAsync(round, RoundHarness.Items($"r{round}"));
            checkpoints.Add((RunLayout.RoundFolderName(round), loop.WeightsId));
        }

        for (int step = 0; step < checkpoints.Count; step++)
        {
            string answer = step == checkpoints.Count - 1 ? "blue" : "no idea" + new string('.', step);
            var policy = new TestPolicyModel { AnswerCallback = _ => new PolicyCompletion(answer) };
            await evaluation.GenerateAsync(checkpoints[step].Name, policy, items, [AnswerMode.Direct], checkpoints[step].Weights);
        }

        EvaluationComparison comparison = await evaluation.CompareAsync(items);

        Assert.Equal(["stage2", "round1", "round2"], comparison.Rows.Select(row => row.Checkpoint));
        Assert.Equal([0.0, 0.0, 1.0], comparison.Rows.Select(row => row.Accuracy!.Accuracy));
        Assert.Null(comparison.Rows[0].Judge);
        Assert.All(comparison.Rows.Skip(1), row => Assert.Equal(1, row.Judge!.Judged));
        Assert.Equal(3, checkpoints.Select(checkpoint => checkpoint.Weights).Distinct().Count());
        Assert.All(checkpoints, checkpoint => Assert.Equal(
            checkpoint.Weights, Field(rounds.Harness.Folder.Lines(RunLayout.EvaluationFolderName, RunLayout.AnswersFolderName, checkpoint.Name + ".direct.jsonl").Single(), "weights")));
    }

    private static string Field(string json, string name) => JsonNode.Parse(json)![name]!.GetValue<string>();

    /// <summary>A loop harness run through stages 1 and 2; the policy self-refines every instruction "x" as "first x" (4) → "better x" (8).</summary>
    private sealed class RoundHarness : IDisposable
    {
        public LoopHarness Harness { get; } = new();

        public static IReadOnlyList<InstructionItem> Items(string prefix, int count = 3) =>
            Enumerable.Range(0, count).Select(index => new InstructionItem($"{prefix}-{index}", $"{prefix}-{index}")).ToList();

        public string Checkpoint(string step) => Harness.Folder.File(step, "training", "checkpoint-2");

        /// <summary>Runs both stages and returns the stage-2 weights id.</summary>
        public async Task<string> RunStagesAsync()
        {
            await Harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));
            Answer(_ => { });
            SelfRefinementLoop loop = Harness.CreateLoop();
            await loop.RunStageTwoAsync(Items("s2"));
            return loop.WeightsId;
        }

        public void Answer(Action<string> onCall) => Harness.Policy.AnswerCallback = instruction =>
        {
            onCall(instruction);
            return new PolicyCompletion(SelfRefinementText.Of("first " + instruction, 4, "better " + instruction, 8));
        };

        public void Dispose() => Harness.Dispose();
    }
}
