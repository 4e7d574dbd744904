using Microsoft.Extensions.AI;
using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

public sealed class StageOneSequenceTests
{
    [Fact]
    public async Task RunStageOne_Example_PromptIsInstructionAndCompletionIsTrained()
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, "REFINED TEXT") : ScriptedCritiques.ScoreOnly(8));

        await harness.CreateLoop().RunStageOneAsync([new InstructionItem("x", "Name a prime.")]);

        SupervisedTrainingRequest request = harness.Trainer.SupervisedRequests.Single();
        SupervisedExample example = request.Examples.Single();
        Assert.Equal("x", example.Id);
        ChatMessage prompt = Assert.Single(example.Prompt);
        Assert.Equal(ChatRole.User, prompt.Role);
        Assert.Equal("Name a prime.", prompt.Text);
        Assert.All(example.Completion, segment => Assert.True(segment.IsTrained));
        string completion = string.Concat(example.Completion.Select(segment => segment.Text));
        int response = completion.IndexOf("Answer to: Name a prime.", StringComparison.Ordinal);
        int feedback = completion.IndexOf("too short", StringComparison.Ordinal);
        int refinement = completion.IndexOf("REFINED TEXT", StringComparison.Ordinal);
        Assert.True(response == 0 && feedback > response && refinement > feedback, completion);
        Assert.DoesNotContain("Name a prime.", completion.Replace("Answer to: Name a prime.", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains(example.Completion, segment => segment.Kind == SegmentKind.Response);
        Assert.Contains(example.Completion, segment => segment.Kind == SegmentKind.Feedback);
        Assert.Contains(example.Completion, segment => segment.Kind == SegmentKind.Refinement);
        Assert.Equal(harness.Folder.File("stage1", "training"), request.OutputDirectory);
        Assert.Equal("stage1", request.Name);
    }

    [Fact]
    public async Task RunStageOne_SystemPrompt_PrecedesInstructionInPrompt()
    {
        using var harness = new LoopHarness();
        harness.Options.SystemPrompt = "You are helpful.";

        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(1));

        IReadOnlyList<ChatMessage> prompt = harness.Trainer.SupervisedRequests.Single().Examples.Single().Prompt;
        Assert.Equal([ChatRole.System, ChatRole.User], prompt.Select(message => message.Role));
        Assert.Equal("You are helpful.", prompt[0].Text);
        Assert.Equal(ChatRole.System, harness.Policy.Calls.Single().Prompts.Single()[0].Role);
    }

    [Fact]
    public async Task RunStageOne_RefinementsOnlyAblation_NoFeedbackSegment()
    {
        using var harness = new LoopHarness();
        harness.Options.IncludeFeedbackInStageOne = false;

        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(1));

        SupervisedExample example = harness.Trainer.SupervisedRequests.Single().Examples.Single();
        Assert.DoesNotContain(example.Completion, segment => segment.Kind == SegmentKind.Feedback);
        Assert.DoesNotContain("too short", string.Concat(example.Completion.Select(segment => segment.Text)), StringComparison.Ordinal);
        Assert.Contains(example.Completion, segment => segment.Kind == SegmentKind.Refinement);
    }

    [Fact]
    public async Task RunStageOne_Generation_BatchedAtPaperTemperature()
    {
        using var harness = new LoopHarness();
        harness.Options.GenerationBatchSize = 4;

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(10));

        Assert.Equal([4, 4, 2], harness.Policy.Calls.Select(call => call.Prompts.Count));
        Assert.All(harness.Policy.Calls, call => Assert.Equal(0.7f, call.Options!.Temperature));
        Assert.All(harness.Policy.Calls, call => Assert.Equal(2048, call.Options!.MaxNewTokens));
        Assert.Equal(10, result.GeneratedThisRun);
        Assert.Equal(10, harness.Folder.Lines("stage1", "responses.jsonl").Length);
        Assert.Equal(10, harness.Folder.Lines("stage1", "examples.jsonl").Length);
    }

    [Fact]
    public async Task RunStageOne_Usage_SummedAndAveragesReported()
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(request.IncludeImprovedResponse
            ? ScriptedCritiques.Complete(request.Instruction.EndsWith('0') ? 4 : 6, "r", inputTokens: 100, outputTokens: 50)
            : ScriptedCritiques.Complete(request.Instruction.EndsWith('0') ? 7 : 8, null, inputTokens: 10, outputTokens: 5));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(2));

        Assert.Equal(220, result.InputTokens);
        Assert.Equal(110, result.OutputTokens);
        Assert.Equal(4, result.CriticCalls);
        Assert.Equal(2, result.ScoredItems);
        Assert.Equal(5.0, result.AverageResponseScore);
        Assert.Equal(7.5, result.AverageRefinementScore);
    }
}
