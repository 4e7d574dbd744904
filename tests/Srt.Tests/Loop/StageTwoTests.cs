using Microsoft.Extensions.AI;
using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

public sealed class StageTwoTests
{
    private static readonly Dictionary<string, PolicyCompletion> Outputs = new()
    {
        ["Improve 0"] = new(SelfRefinementText.Of("first 0", 5, "better 0", 8)),
        ["Improve 1"] = new(SelfRefinementText.Of("first 1", 6, "same 1", 6)),
        ["Improve 2"] = new(SelfRefinementText.Of("first 2", 7, "worse 2", 4)),
        ["Improve 3"] = new("Just an answer with no feedback at all."),
        ["Improve 4"] = new(SelfRefinementText.Of("first 4", 3, "better 4", 9), CompletionFinishReason.Length),
        ["Improve 5"] = new(SelfRefinementText.Of("first 5", 2, "better 5", 3)),
    };

    private static IReadOnlyList<InstructionItem> Items =>
        Enumerable.Range(0, 6).Select(index => new InstructionItem($"s2-{index}", $"Improve {index}")).ToList();

    [Fact]
    public async Task RunStageTwo_DefaultTieRule_KeepsOnlyStrictImprovements()
    {
        using var harness = NewHarness();

        StageTwoResult result = await harness.CreateLoop().RunStageTwoAsync(Items);

        Assert.Equal(2, result.Kept);
        Assert.Equal(1, result.Ties);
        Assert.Equal(1, result.FilteredNotImproved);
        Assert.Equal(2, result.FilteredUnparseable);
        PreferenceTrainingRequest request = harness.Trainer.PreferenceRequests.Single();
        Assert.Equal(["s2-0", "s2-5"], request.Pairs.Select(pair => pair.Id));
        Assert.Equal("stage2", request.Name);
        Assert.Equal(harness.Folder.File("stage2", "training"), request.OutputDirectory);
        Assert.Equal(0.7f, harness.Policy.Calls[0].Options!.Temperature);
        Assert.Equal(6144, harness.Policy.Calls[0].Options!.MaxNewTokens);
    }

    [Fact]
    public async Task RunStageTwo_KeepTies_KeepsEqualScores()
    {
        using var harness = NewHarness();
        harness.Options.TieRule = StageTwoTieRule.KeepTies;

        StageTwoResult result = await harness.CreateLoop().RunStageTwoAsync(Items);

        Assert.Equal(3, result.Kept);
        Assert.Equal(1, result.Ties);
        Assert.Equal(["s2-0", "s2-1", "s2-5"], harness.Trainer.PreferenceRequests.Single().Pairs.Select(pair => pair.Id));
    }

    [Fact]
    public async Task RunStageTwo_Pair_ChosenIsRefinementRejectedIsResponsePromptIsInstruction()
    {
        using var harness = NewHarness();

        await harness.CreateLoop().RunStageTwoAsync(Items);

        PreferencePair pair = harness.Trainer.PreferenceRequests.Single().Pairs[0];
        Assert.Equal("better 0", pair.Chosen.Trim());
        Assert.Equal("first 0", pair.Rejected.Trim());
        ChatMessage prompt = Assert.Single(pair.Prompt);
        Assert.Equal(ChatRole.User, prompt.Role);
        Assert.Equal("Improve 0", prompt.Text);
    }

    [Fact]
    public async Task RunStageTwo_IncludeFeedbackInChosen_ChosenHoldsWholeSelfRefinement()
    {
        using var harness = NewHarness();
        harness.Options.IncludeFeedbackInChosen = true;

        await harness.CreateLoop().RunStageTwoAsync(Items);

        PreferencePair pair = harness.Trainer.PreferenceRequests.Single().Pairs[0];
        Assert.Contains("first 0", pair.Chosen, StringComparison.Ordinal);
        Assert.Contains("too short", pair.Chosen, StringComparison.Ordinal);
        Assert.True(pair.Chosen.IndexOf("better 0", StringComparison.Ordinal) > pair.Chosen.IndexOf("too short", StringComparison.Ordinal));
        Assert.Equal("first 0", pair.Rejected.Trim());
    }

    [Fact]
    public async Task RunStageTwo_Unparseable_RecordedWithReason()
    {
        using var harness = NewHarness();

        await harness.CreateLoop().RunStageTwoAsync(Items);

        string[] outcomes = harness.Folder.Lines("stage2", "outcomes.jsonl");
        Assert.Equal(6, outcomes.Length);
        Assert.Contains("\"outcome\":\"unparseable\"", outcomes[3], StringComparison.Ordinal);
        Assert.Contains("no response and refinement found", outcomes[3], StringComparison.Ordinal);
        Assert.Contains("cut off", outcomes[4], StringComparison.Ordinal);
        Assert.Equal(2, harness.Folder.Lines("stage2", "pairs.jsonl").Length);
        Assert.Equal(6, harness.Folder.Lines("stage2", "outputs.jsonl").Length);
    }

    [Fact]
    public async Task RunStageTwo_Rerun_GeneratesNothingAgain()
    {
        using var harness = NewHarness();
        StageTwoResult first = await harness.CreateLoop().RunStageTwoAsync(Items);

        StageTwoResult second = await harness.CreateLoop().RunStageTwoAsync(Items);

        Assert.Equal(6, first.GeneratedThisRun);
        Assert.Equal(0, second.GeneratedThisRun);
        Assert.Equal(6, harness.Policy.PromptCount);
        Assert.Single(harness.Trainer.PreferenceRequests);
        Assert.True(second.TrainingResumed);
        Assert.Equal(first.Kept, second.Kept);
    }

    [Fact]
    public async Task RunStageTwo_PolicyThrows_BatchRecordedAsFailed()
    {
        using var harness = NewHarness();
        harness.Options.GenerationBatchSize = 2;
        int call = 0;
        harness.Policy.GenerateAsyncCallback = (prompts, _, _) => ++call == 2
            ? throw new InvalidOperationException("out of memory")
            : Task.FromResult<IReadOnlyList<PolicyCompletion>>(prompts.Select(prompt => Outputs[TestPolicyModel.InstructionOf(prompt)]).ToList());

        StageTwoResult result = await harness.CreateLoop().RunStageTwoAsync(Items);

        Assert.Equal(["s2-2", "s2-3"], result.Failures.Select(failure => failure.Id));
        Assert.All(result.Failures, failure => Assert.Equal(StagePhase.Generating, failure.Phase));
        Assert.Equal(4, result.Generated);
    }

    private static LoopHarness NewHarness()
    {
        var harness = new LoopHarness();
        harness.Policy.AnswerCallback = instruction => Outputs[instruction];
        return harness;
    }
}
