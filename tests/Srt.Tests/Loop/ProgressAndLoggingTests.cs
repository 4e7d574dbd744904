using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

public sealed class ProgressAndLoggingTests
{
    [Fact]
    public async Task RunAsync_BothStages_ProgressCountsAndTrainingPassthrough()
    {
        using var harness = new LoopHarness();
        harness.Policy.AnswerCallback = instruction => new PolicyCompletion(
            harness.Trainer.SupervisedRequests.Count > 0 ? SelfRefinementText.Of("mine", 5, "mine, better", 7) : "plain answer",
            CompletionTokens: 11);
        var reports = new ConcurrentQueue<StageProgress>();
        var progress = new SynchronousProgress(reports.Enqueue);

        SelfRefinementResult result = await harness.CreateLoop().RunAsync(LoopHarness.Items(5), LoopHarness.Items(3, "new"), progress);

        Assert.Equal(5, result.StageOne.Kept);
        Assert.Equal(3, result.StageTwo.Kept);
        Assert.Equal(33, result.StageTwo.CompletionTokens);
        Assert.Equal(5.0, result.StageTwo.AverageResponseScore);
        Assert.Equal(7.0, result.StageTwo.AverageRefinementScore);
        StageProgress lastOfOne = reports.Last(report => report.Stage == 1);
        Assert.Equal(StagePhase.Completed, lastOfOne.Phase);
        Assert.Equal((5, 5, 5, 10), (lastOfOne.ItemsDone, lastOfOne.ItemsTotal, lastOfOne.Kept, lastOfOne.CriticCalls));
        Assert.Equal([1, 2], reports.Where(report => report.Stage == 1 && report.Training is not null).Select(report => report.Training!.Step));
        Assert.Contains(reports, report => report.Stage == 1 && report.Phase == StagePhase.Generating);
        Assert.Contains(reports, report => report.Stage == 1 && report.Phase == StagePhase.Scoring);
        StageProgress lastOfTwo = reports.Last();
        Assert.Equal((2, StagePhase.Completed, 3, 3), (lastOfTwo.Stage, lastOfTwo.Phase, lastOfTwo.ItemsDone, lastOfTwo.Kept));
    }

    [Fact]
    public async Task RunStageOne_Contents_LoggedOnlyAtTrace()
    {
        using var harness = new LoopHarness();
        harness.Policy.AnswerCallback = _ => new PolicyCompletion("SECRET-ANSWER-TEXT");

        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(2));

        Assert.Contains(harness.Logger.At(LogLevel.Information), message => message.Contains("Stage 1: 2 items", StringComparison.Ordinal));
        Assert.Contains(harness.Logger.At(LogLevel.Trace), message => message.Contains("SECRET-ANSWER-TEXT", StringComparison.Ordinal));
        Assert.DoesNotContain(
            harness.Logger.Entries.Where(entry => entry.Level > LogLevel.Trace),
            entry => entry.Message.Contains("SECRET-ANSWER-TEXT", StringComparison.Ordinal));
    }
}
