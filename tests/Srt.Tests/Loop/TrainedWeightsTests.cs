using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

/// <summary>
/// The loop owns trained state: a rerun that finds a stage's training done restores it through the trainer's
/// <see cref="ITrainedStateRestorer"/>, and stored generations are reused only under the weights that made them.
/// Each loop here is a new one over the same run directory, as a restarted process makes.
/// </summary>
public sealed class TrainedWeightsTests
{
    private static readonly IReadOnlyList<InstructionItem> StageTwoItems =
        Enumerable.Range(0, 4).Select(index => new InstructionItem($"s2-{index}", $"Improve {index}")).ToList();

    [Fact]
    public async Task RunStageOne_RerunAfterFinishedTraining_RestoresItsCheckpointAndTakesItsWeightsId()
    {
        using var harness = new LoopHarness();
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(3);
        SelfRefinementLoop first = harness.CreateLoop();
        Assert.Equal("base", first.WeightsId);
        await first.RunStageOneAsync(items);
        string trained = first.WeightsId;

        SelfRefinementLoop second = harness.CreateLoop();
        StageOneResult rerun = await second.RunStageOneAsync(items);

        Assert.StartsWith("stage1-", trained, StringComparison.Ordinal);
        Assert.True(rerun.TrainingResumed);
        Assert.Equal([harness.Folder.File("stage1", "training", "checkpoint-2")], harness.Trainer.Restored);
        Assert.Equal(trained, second.WeightsId);
        Assert.Single(harness.Trainer.SupervisedRequests);
    }

    [Fact]
    public async Task RunStageTwo_NewLoopAfterStageOne_GeneratesOnlyAfterRestoringStageOne()
    {
        using var harness = new LoopHarness();
        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));
        var restoredWhenGenerating = new List<int>();
        harness.Policy.AnswerCallback = instruction =>
        {
            restoredWhenGenerating.Add(harness.Trainer.Restored.Count);
            return new PolicyCompletion(SelfRefinementText.Of("first", 4, "better", 8));
        };

        SelfRefinementLoop loop = harness.CreateLoop();
        StageTwoResult result = await loop.RunStageTwoAsync(StageTwoItems);

        Assert.Equal([1, 1, 1, 1], restoredWhenGenerating);
        Assert.Equal(4, result.Kept);
        string stageOne = JsonNode.Parse(File.ReadAllText(harness.Folder.File("stage1", "training.done.json")))!["id"]!.GetValue<string>();
        Assert.All(harness.Folder.Lines("stage2", "outputs.jsonl"), line => Assert.Equal(stageOne, JsonNode.Parse(line)!["weights"]!.GetValue<string>()));
        Assert.StartsWith("stage2-", loop.WeightsId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunStageTwo_TrainerCannotRestore_FailsAtTheStartBeforeAnyCall()
    {
        using var harness = new LoopHarness();
        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));
        int promptsBefore = harness.Policy.PromptCount;
        harness.Trainer.GetServiceCallback = (_, _) => null;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.CreateLoop().RunStageTwoAsync(StageTwoItems));

        Assert.Contains(nameof(ITrainedStateRestorer), error.Message, StringComparison.Ordinal);
        Assert.Contains("training.done.json", error.Message, StringComparison.Ordinal);
        Assert.Equal(promptsBefore, harness.Policy.PromptCount);
        Assert.False(File.Exists(harness.Folder.File("stage2", "outputs.jsonl")));
        Assert.Empty(harness.Trainer.PreferenceRequests);
    }

    [Fact]
    public async Task RunStageOne_CopiedRunDirectory_RestoresItsOwnCheckpointNotTheOriginals()
    {
        using var harness = new LoopHarness();
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(3);
        await harness.CreateLoop().RunStageOneAsync(items);
        using var copy = new TemporaryRunFolder();
        CopyFolder(harness.Folder.Path, copy.Path);
        var trainer = new TestTrainer();
        var options = new SelfRefinementOptions { RunDirectory = copy.Path };

        StageOneResult result = await new SelfRefinementLoop(harness.Policy, harness.Critic, trainer, options).RunStageOneAsync(items);

        string own = copy.File("stage1", "training", "checkpoint-2");
        Assert.Equal([own], trainer.Restored);
        Assert.Equal(own, result.Training!.CheckpointDirectory);
        Assert.Equal("training/checkpoint-2", JsonNode.Parse(File.ReadAllText(copy.File("stage1", "training.done.json")))!["checkpointDirectory"]!.GetValue<string>());
    }

    [Fact]
    public async Task RunStageOne_CopiedRunDirectoryWithAnOldAbsolutePath_RestoresTheCopysCheckpoint()
    {
        using var harness = new LoopHarness();
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(3);
        await harness.CreateLoop().RunStageOneAsync(items);
        string marker = harness.Folder.File("stage1", "training.done.json");
        JsonNode old = JsonNode.Parse(File.ReadAllText(marker))!;
        old["checkpointDirectory"] = harness.Folder.File("stage1", "training", "checkpoint-2");
        File.WriteAllText(marker, old.ToJsonString());
        using var copy = new TemporaryRunFolder();
        CopyFolder(harness.Folder.Path, copy.Path);
        var trainer = new TestTrainer();

        await new SelfRefinementLoop(harness.Policy, harness.Critic, trainer, new SelfRefinementOptions { RunDirectory = copy.Path }).RunStageOneAsync(items);

        Assert.Equal([copy.File("stage1", "training", "checkpoint-2")], trainer.Restored);
    }

    [Fact]
    public async Task RunStageTwo_OutputsStoredUnderOtherWeights_GeneratedAgainAndLogged()
    {
        // Stage 2 first ran on the base weights (its outputs unparseable, so nothing trained); then stage 1 trained.
        using var harness = new LoopHarness();
        harness.Policy.AnswerCallback = _ => new PolicyCompletion("plain answer");
        await harness.CreateLoop().RunStageTwoAsync(StageTwoItems);
        harness.Policy.AnswerCallback = instruction => new PolicyCompletion(instruction.StartsWith("Improve", StringComparison.Ordinal)
            ? SelfRefinementText.Of("first", 4, "better", 8)
            : "Answer to: " + instruction);
        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));
        int before = harness.Policy.PromptCount;

        StageTwoResult result = await harness.CreateLoop().RunStageTwoAsync(StageTwoItems);

        Assert.Equal(4, harness.Policy.PromptCount - before);
        Assert.Equal(4, result.GeneratedThisRun);
        Assert.Equal(4, result.Kept);
        Assert.Contains(harness.Logger.At(LogLevel.Warning), message => message.Contains("4 stored outputs", StringComparison.Ordinal) && message.Contains("other weights", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunStageTwo_StageOneTrainedAgain_StaleStageTwoTrainingMovedAsideAndTrainedAgain()
    {
        using var harness = new LoopHarness();
        harness.Policy.AnswerCallback = instruction => new PolicyCompletion(instruction.StartsWith("Improve", StringComparison.Ordinal)
            ? SelfRefinementText.Of("first", 4, "better", 8)
            : "Answer to: " + instruction);
        await harness.CreateLoop().RunAsync(LoopHarness.Items(3), StageTwoItems);
        File.Delete(harness.Folder.File("stage1", "training.done.json"));
        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));

        StageTwoResult result = await harness.CreateLoop().RunStageTwoAsync(StageTwoItems);

        Assert.False(result.TrainingResumed);
        Assert.Equal(2, harness.Trainer.PreferenceRequests.Count);
        Assert.Single(Directory.GetFiles(harness.Folder.File("stage2"), "training.done.json.stale-*"));
        Assert.Single(Directory.GetDirectories(harness.Folder.File("stage2"), "training.stale-*"));
    }

    [Fact]
    public async Task RunStageOne_ResponseGeneratedAgain_StoredCritiqueOfTheOldResponseNotReused()
    {
        using var harness = new LoopHarness();
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(2);
        await harness.CreateLoop().RunStageOneAsync(items);

        // The responses are generated again (their file removed, as for a new sampling temperature).
        File.Delete(harness.Folder.File("stage1", "responses.jsonl"));
        File.Delete(harness.Folder.File("stage1", "training.done.json"));
        harness.Policy.AnswerCallback = instruction => new PolicyCompletion("New answer to: " + instruction);
        await harness.CreateLoop().RunStageOneAsync(items);

        Assert.Equal(4, harness.Critic.CritiqueCalls);
        Assert.Equal(4, harness.Critic.ScoringCalls);
        SupervisedTrainingRequest retrained = harness.Trainer.SupervisedRequests[^1];
        Assert.All(retrained.Examples, example => Assert.StartsWith("New answer to:", example.Completion[0].Text, StringComparison.Ordinal));
        Assert.Contains(harness.Logger.At(LogLevel.Warning), message => message.Contains("judged another text", StringComparison.Ordinal));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string folder in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, folder)));
        }

        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
