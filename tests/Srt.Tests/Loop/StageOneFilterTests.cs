using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

public sealed class StageOneFilterTests
{
    [Fact]
    public async Task RunStageOne_IncompleteCritiques_DroppedWithReason()
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            !request.IncludeImprovedResponse ? ScriptedCritiques.ScoreOnly(7)
            : request.Instruction.EndsWith(" 0", StringComparison.Ordinal) ? new Critique(ScriptedCritiques.Feedback(4, suggestions: []), "better", "raw")
            : request.Instruction.EndsWith(" 1", StringComparison.Ordinal) ? new Critique(ScriptedCritiques.Feedback(null), "better", "raw")
            : request.Instruction.EndsWith(" 2", StringComparison.Ordinal) ? new Critique(ScriptedCritiques.Feedback(4), null, "raw")
            : request.Instruction.EndsWith(" 3", StringComparison.Ordinal) ? new Critique(ScriptedCritiques.Feedback(4, weaknesses: []), "  ", "raw")
            : ScriptedCritiques.Complete(4, "better"));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(6));

        Assert.Equal(4, result.FilteredIncomplete);
        Assert.Equal(2, result.Kept);
        Assert.Equal(6, result.Critiqued);
        // Incomplete items never reach the scoring call.
        Assert.Equal(2, harness.Critic.ScoringCalls);
        string outcomes = File.ReadAllText(harness.Folder.File("stage1", "outcomes.jsonl"));
        Assert.Contains("missing suggestions", outcomes, StringComparison.Ordinal);
        Assert.Contains("missing score", outcomes, StringComparison.Ordinal);
        Assert.Contains("missing weaknesses, improved response", outcomes, StringComparison.Ordinal);
        Assert.Equal(["item-004", "item-005"], harness.Trainer.SupervisedRequests.Single().Examples.Select(example => example.Id));
    }

    [Theory]
    [InlineData(5, 6, true)]
    [InlineData(5, 5, true)]
    [InlineData(5, 4, false)]
    public async Task RunStageOne_RefinementScore_KeptWhenNotBelowResponse(int responseScore, int refinementScore, bool kept)
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            request.IncludeImprovedResponse ? ScriptedCritiques.Complete(responseScore, "refined") : ScriptedCritiques.ScoreOnly(refinementScore));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(1));

        Assert.Equal(kept ? 1 : 0, result.Kept);
        Assert.Equal(kept ? 0 : 1, result.FilteredRefinementWorse);
        Assert.Equal(responseScore, result.AverageResponseScore);
        Assert.Equal(refinementScore, result.AverageRefinementScore);
    }

    [Fact]
    public async Task RunStageOne_UnreadableRefinementScore_Dropped()
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            request.IncludeImprovedResponse ? ScriptedCritiques.Complete(5, "refined") : ScriptedCritiques.ScoreOnly(null));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));

        Assert.Equal(3, result.FilteredRefinementUnscored);
        Assert.Equal(0, result.Kept);
        Assert.Empty(harness.Trainer.SupervisedRequests);
    }

    [Fact]
    public async Task RunStageOne_ScoringCall_SeesRefinementButNotFeedback()
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            request.IncludeImprovedResponse ? ScriptedCritiques.Complete(3, "The refined answer") : ScriptedCritiques.ScoreOnly(8));

        await harness.CreateLoop().RunStageOneAsync([new InstructionItem("a", "Explain tides.")]);

        CritiqueRequest[] requests = harness.Critic.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.True(requests[0].IncludeImprovedResponse);
        Assert.Equal("Answer to: Explain tides.", requests[0].Response);
        Assert.False(requests[1].IncludeImprovedResponse);
        Assert.Equal("Explain tides.", requests[1].Instruction);
        Assert.Equal("The refined answer", requests[1].Response);
        string feedbackText = ScriptedCritiques.Feedback(3).Text;
        Assert.DoesNotContain("too short", requests[1].Instruction + requests[1].Response, StringComparison.Ordinal);
        Assert.DoesNotContain(feedbackText, requests[1].Instruction + requests[1].Response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunStageOne_FilterByRefinementScoreOff_NoScoringCall()
    {
        using var harness = new LoopHarness();
        harness.Options.FilterByRefinementScore = false;
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(ScriptedCritiques.Complete(9, "refined"));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(4));

        Assert.Equal(0, harness.Critic.ScoringCalls);
        Assert.Equal(4, result.CriticCalls);
        Assert.Equal(4, result.Kept);
    }

    [Fact]
    public async Task RunStageOne_CritiqueWithoutRefinement_RefinerWritesIt()
    {
        using var harness = new LoopHarness { Refiner = new TestRefiner() };
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, null) : ScriptedCritiques.ScoreOnly(6));

        var reports = new List<StageProgress>();

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(2), new SynchronousProgress(reports.Add));

        Assert.Equal(2, result.Kept);
        Assert.Equal(2, result.RefinerCalls);
        // Progress counts as the result does: critiques and scores as critic calls, refinements apart.
        Assert.Equal((result.CriticCalls, result.RefinerCalls), (reports[^1].CriticCalls, reports[^1].RefinerCalls));
        Assert.Equal(4, reports[^1].CriticCalls);
        Assert.All(harness.Refiner.Requests, request => Assert.Equal(4, request.Feedback.Score));
        Assert.Equal(
            harness.Refiner.Requests.Select(request => "Refined: " + request.Response).Order(),
            harness.Critic.Requests.Where(request => !request.IncludeImprovedResponse).Select(request => request.Response).Order());
        Assert.Equal(2, harness.Folder.Lines("stage1", "refinements.jsonl").Length);
    }

    [Fact]
    public async Task RunStageOne_NoRefinerGivenButCriticRefines_CriticWritesTheMissingRefinements()
    {
        using var harness = new LoopHarness();
        var refiner = new TestRefiner();
        harness.Critic.GetServiceCallback = (serviceType, _) => serviceType == typeof(IRefiner) ? refiner : null;
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, null) : ScriptedCritiques.ScoreOnly(6));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(2));

        Assert.Equal((2, 2, 0), (result.Kept, result.RefinerCalls, result.FilteredIncomplete));
        Assert.Equal(2, refiner.Requests.Count);
    }

    [Fact]
    public async Task RunStageOne_ResponseEmptyOrHoldingHeading_DroppedBeforeAnyCriticCall()
    {
        using var harness = new LoopHarness();
        harness.Policy.AnswerCallback = instruction => new PolicyCompletion(
            instruction.EndsWith(" 0", StringComparison.Ordinal) ? "   "
            : instruction.EndsWith(" 1", StringComparison.Ordinal) ? "Text\n### Improved Response\nmore"
            : "fine answer");

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(3));

        Assert.Equal(2, result.FilteredUnformattable);
        Assert.Equal(1, result.Kept);
        Assert.Equal(2, harness.Critic.Requests.Count);
        Assert.Contains("the response is empty", File.ReadAllText(harness.Folder.File("stage1", "outcomes.jsonl")), StringComparison.Ordinal);
    }
}
