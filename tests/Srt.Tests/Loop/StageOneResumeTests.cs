using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

public sealed class StageOneResumeTests
{
    [Fact]
    public async Task RunStageOne_Rerun_RepeatsNoModelCallAndNoTraining()
    {
        using var harness = new LoopHarness();
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(12);
        StageOneResult first = await harness.CreateLoop().RunStageOneAsync(items);

        StageOneResult second = await harness.CreateLoop().RunStageOneAsync(items);

        Assert.Equal(24, first.CriticCalls);
        Assert.Equal(0, second.CriticCalls);
        Assert.Equal(0, second.GeneratedThisRun);
        Assert.Equal(24, harness.Critic.Requests.Count);
        Assert.Equal(12, harness.Policy.PromptCount);
        Assert.Single(harness.Trainer.SupervisedRequests);
        Assert.True(second.TrainingResumed);
        Assert.Equal(first.Training!.Steps, second.Training!.Steps);
        Assert.Equal(12, second.Kept);
        Assert.True(File.Exists(harness.Folder.File("stage1", "training.done.json")));
        Assert.True(File.Exists(harness.Folder.File("run.json")));
    }

    [Fact]
    public async Task RunStageOne_CriticThrowsForOneItem_RecordedAndRunContinues()
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => request.Instruction.EndsWith(" 2", StringComparison.Ordinal)
            ? throw new HttpRequestException("502 Bad Gateway")
            : Task.FromResult(request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, "r") : ScriptedCritiques.ScoreOnly(7));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(5));

        ItemFailure failure = Assert.Single(result.Failures);
        Assert.Equal("item-002", failure.Id);
        Assert.Equal(StagePhase.Critiquing, failure.Phase);
        Assert.Contains("502 Bad Gateway", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(4, result.Kept);
        string line = Assert.Single(harness.Folder.Lines("stage1", "failures.jsonl"));
        Assert.Contains("\"id\":\"item-002\"", line, StringComparison.Ordinal);
        Assert.Contains("HttpRequestException: 502 Bad Gateway", line, StringComparison.Ordinal);
        Assert.Contains(harness.Logger.At(Microsoft.Extensions.Logging.LogLevel.Warning), message => message.Contains("item-002", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, 1, 5)]
    [InlineData(false, 0, 4)]
    public async Task RunStageOne_RerunAfterFailure_RetriesOnlyWhenAllowed(bool retry, int expectedCalls, int expectedKept)
    {
        using var harness = new LoopHarness();
        bool failing = true;
        harness.Critic.CritiqueAsyncCallback = (request, _) => failing && request.Instruction.EndsWith(" 2", StringComparison.Ordinal) && request.IncludeImprovedResponse
            ? throw new TimeoutException("critic timed out")
            : Task.FromResult(request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, "r") : ScriptedCritiques.ScoreOnly(7));
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(5);
        await harness.CreateLoop().RunStageOneAsync(items);
        File.Delete(harness.Folder.File("stage1", "training.done.json"));
        failing = false;
        harness.Options.RetryFailedItems = retry;

        StageOneResult second = await harness.CreateLoop().RunStageOneAsync(items);

        Assert.Equal(expectedCalls * 2, second.CriticCalls);
        Assert.Equal(expectedKept, second.Kept);
        Assert.Equal(retry ? 0 : 1, second.Failed);
    }

    [Fact]
    public async Task RunStageOne_Cancelled_CompletedWorkOnDiskAndRerunFinishesIt()
    {
        using var harness = new LoopHarness();
        harness.Options.MaxConcurrentCriticCalls = 2;
        using var cancellation = new CancellationTokenSource();
        int calls = 0;
        harness.Critic.CritiqueAsyncCallback = async (request, token) =>
        {
            if (Interlocked.Increment(ref calls) == 10)
            {
                await cancellation.CancelAsync();
            }

            await Task.Delay(1, token);
            return request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, "r") : ScriptedCritiques.ScoreOnly(7);
        };
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(30);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.CreateLoop().RunStageOneAsync(items, cancellationToken: cancellation.Token));

        int critiquesOnDisk = harness.Folder.Lines("stage1", "critiques.jsonl").Length;
        int scoresOnDisk = harness.Folder.Lines("stage1", "refinement-scores.jsonl").Length;
        Assert.InRange(critiquesOnDisk + scoresOnDisk, 5, 11);
        Assert.Empty(harness.Trainer.SupervisedRequests);
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, "r") : ScriptedCritiques.ScoreOnly(7));

        StageOneResult resumed = await harness.CreateLoop().RunStageOneAsync(items);

        Assert.Equal(60 - critiquesOnDisk - scoresOnDisk, resumed.CriticCalls);
        Assert.Equal(30, resumed.Kept);
        Assert.Equal(30, harness.Folder.Lines("stage1", "critiques.jsonl").Length);
        Assert.Equal(30, harness.Folder.Lines("stage1", "refinement-scores.jsonl").Length);
    }

    [Fact]
    public async Task RunStageOne_SameIdNewInstruction_Refused()
    {
        using var harness = new LoopHarness();
        await harness.CreateLoop().RunStageOneAsync([new InstructionItem("a", "First question")]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => harness.CreateLoop().RunStageOneAsync([new InstructionItem("a", "Another question")]));

        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
        Assert.Contains("responses.jsonl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunStageOne_ManyItemsSlowCritic_ConcurrencyBoundRespected()
    {
        using var harness = new LoopHarness();
        harness.Options.MaxConcurrentCriticCalls = 8;
        harness.Options.GenerationBatchSize = 50;
        harness.Critic.CritiqueAsyncCallback = async (request, token) =>
        {
            await Task.Delay(2, token);
            return request.IncludeImprovedResponse ? ScriptedCritiques.Complete(4, "r") : ScriptedCritiques.ScoreOnly(7);
        };

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(500));

        Assert.Equal(500, result.Kept);
        Assert.Equal(1000, result.CriticCalls);
        Assert.InRange(harness.Critic.MaxInFlight, 2, 8);
    }

    [Fact]
    public async Task RunStageOne_CancelledWhileCallsHang_StopsPromptly()
    {
        using var harness = new LoopHarness();
        using var cancellation = new CancellationTokenSource();
        int started = 0;
        harness.Critic.CritiqueAsyncCallback = async (request, token) =>
        {
            if (Interlocked.Increment(ref started) == 8)
            {
                cancellation.CancelAfter(50);
            }

            await Task.Delay(Timeout.Infinite, token);
            return ScriptedCritiques.Complete(4, "r");
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(100), cancellationToken: cancellation.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(8, started);
        Assert.Empty(harness.Folder.Lines("stage1", "failures.jsonl"));
        Assert.True(harness.Folder.Lines("stage1", "responses.jsonl").Length >= 8);
    }

    [Fact]
    public async Task RunStageOne_TornLastScoreLine_WarnsAndRedoesOnlyThatCall()
    {
        using var harness = new LoopHarness();
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(5);
        await harness.CreateLoop().RunStageOneAsync(items);
        File.Delete(harness.Folder.File("stage1", "training.done.json"));
        string scores = harness.Folder.File("stage1", "refinement-scores.jsonl");
        string text = File.ReadAllText(scores);
        int lastLineStart = text.TrimEnd('\n').LastIndexOf('\n') + 1;
        File.WriteAllText(scores, text[..(lastLineStart + 20)]);
        harness.Logger.Entries.Clear();

        StageOneResult second = await harness.CreateLoop().RunStageOneAsync(items);

        Assert.Equal(1, second.CriticCalls);
        Assert.Equal(11, harness.Critic.Requests.Count);
        Assert.Equal(5, second.Kept);
        Assert.Contains(harness.Logger.At(Microsoft.Extensions.Logging.LogLevel.Warning), message => message.Contains("refinement-scores.jsonl", StringComparison.Ordinal));
        Assert.Equal(5, harness.Folder.Lines("stage1", "refinement-scores.jsonl").Length);
        Assert.All(harness.Folder.Lines("stage1", "refinement-scores.jsonl"), line => System.Text.Json.JsonDocument.Parse(line).Dispose());
    }
}
