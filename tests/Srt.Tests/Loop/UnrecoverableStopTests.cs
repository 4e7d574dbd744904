using Srt.Tests.Resilience;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

/// <summary>A failure no retry can fix stops the run at once and is not recorded as the items' outcome.</summary>
public sealed class UnrecoverableStopTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunStageOne_CriticAnswers401_StopsAtFirstCallRecordsNothingAndRerunDoesAllTheWork(bool failScoring)
    {
        using var harness = new LoopHarness();
        harness.Options.MaxConcurrentCriticCalls = 1;
        var working = harness.Critic.CritiqueAsyncCallback;
        harness.Critic.CritiqueAsyncCallback = (request, token) => request.IncludeImprovedResponse != failScoring
            ? throw FakePipelineResponse.Error(401)
            : working(request, token);

        var stop = await Assert.ThrowsAsync<UnrecoverableCallException>(() => harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(6)));

        Assert.Equal(failScoring ? "refinement scoring" : "critique", stop.Phase);
        Assert.Equal(401, stop.StatusCode);
        Assert.Contains("API key", stop.Message, StringComparison.Ordinal);
        Assert.Equal(failScoring ? 2 : 1, harness.Critic.Requests.Count);
        Assert.False(File.Exists(harness.Folder.File("stage1", "failures.jsonl")));
        Assert.False(File.Exists(harness.Folder.File("stage1", "outcomes.jsonl")));
        Assert.Empty(harness.Trainer.SupervisedRequests);
        Assert.Equal(failScoring ? 1 : 0, LineCount(harness, "critiques.jsonl"));

        harness.Critic.CritiqueAsyncCallback = working;
        harness.Critic.Requests.Clear();
        StageOneResult rerun = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(6));

        Assert.Equal(6, rerun.Kept);
        Assert.Empty(rerun.Failures);
        Assert.Equal(failScoring ? 5 : 6, harness.Critic.CritiqueCalls);
        Assert.Equal(6, harness.Critic.ScoringCalls);
    }

    [Fact]
    public async Task RunStageOne_ManyCallsInFlightWhenOneAnswers401_CancelsTheOthersAndKeepsArrivedResults()
    {
        using var harness = new LoopHarness();
        harness.Options.MaxConcurrentCriticCalls = 4;
        var working = harness.Critic.CritiqueAsyncCallback;
        int calls = 0;
        var cancelled = 0;

        // Items 0 and 1 finish; item 5 (started when they are done) answers 401 while items 2, 3 and 4 hang.
        harness.Critic.CritiqueAsyncCallback = async (request, token) =>
        {
            Interlocked.Increment(ref calls);
            if (request.Instruction is "Instruction number 0" or "Instruction number 1")
            {
                return await working(request, token);
            }

            if (request.Instruction == "Instruction number 5")
            {
                await Task.Delay(50, CancellationToken.None);
                throw FakePipelineResponse.Error(401);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }

            throw new InvalidOperationException("unreachable");
        };

        await Assert.ThrowsAsync<UnrecoverableCallException>(() => harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(20)));

        Assert.Equal(8, Volatile.Read(ref calls));
        Assert.Equal(3, Volatile.Read(ref cancelled));
        Assert.False(File.Exists(harness.Folder.File("stage1", "failures.jsonl")));
        Assert.Equal(2, LineCount(harness, "critiques.jsonl"));
        Assert.Equal(2, LineCount(harness, "refinement-scores.jsonl"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task RunStage_PolicyAnswers404_StopsWithoutRecordingFailures(int stage)
    {
        using var harness = new LoopHarness();
        harness.Policy.GenerateAsyncCallback = (_, _, _) => throw FakePipelineResponse.Error(404);
        var loop = harness.CreateLoop();

        var stop = await Assert.ThrowsAsync<UnrecoverableCallException>(() => stage == 1
            ? loop.RunStageOneAsync(LoopHarness.Items(4))
            : loop.RunStageTwoAsync(LoopHarness.Items(4)));

        Assert.Equal("policy generation", stop.Phase);
        Assert.Contains("model name", stop.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(harness.Folder.File($"stage{stage}", "failures.jsonl")));
        Assert.False(File.Exists(harness.Folder.File($"stage{stage}", "outcomes.jsonl")));
        Assert.Empty(harness.Critic.Requests);
    }

    [Fact]
    public async Task RunStageOne_CriticAnswers500_StillRecordsTheItemAndGoesOn()
    {
        using var harness = new LoopHarness();
        var working = harness.Critic.CritiqueAsyncCallback;
        harness.Critic.CritiqueAsyncCallback = (request, token) => request.Instruction.EndsWith('2')
            ? throw FakePipelineResponse.Error(500)
            : working(request, token);

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(4));

        Assert.Equal(3, result.Kept);
        Assert.Single(result.Failures);
        Assert.Single(harness.Folder.Lines("stage1", "failures.jsonl"));
    }

    private static int LineCount(LoopHarness harness, string file) =>
        File.Exists(harness.Folder.File("stage1", file)) ? harness.Folder.Lines("stage1", file).Length : 0;
}
