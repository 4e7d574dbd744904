using Microsoft.Extensions.Logging;
using Srt.Evaluation;
using Srt.Tests.Resilience;
using Srt.Tests.TestDoubles;
using Srt.Testing;

namespace Srt.Tests.Evaluation;

/// <summary>The judge stops on failures no retry can fix, logs other failures in one line, and ties identical answers without a call.</summary>
public sealed class JudgeStopAndSkipTests
{
    private static List<PairwiseItem> Items(int count) =>
        Enumerable.Range(0, count).Select(i => new PairwiseItem($"q{i}", $"Question {i}?", $"good answer {i}", $"plain answer {i}")).ToList();

    [Fact]
    public async Task JudgeAsync_IdenticalAnswers_TieWithoutACall()
    {
        var client = new ScriptedJudgeClient { Verdict = (_, _) => "[[A]]" };
        var items = Items(2);
        items.Add(new PairwiseItem("same", "Question?", "The very same answer.", "The very same answer."));
        var judge = new PairwiseJudge(client, new PairwiseJudgeOptions { Retry = null });

        PairwiseReport report = await judge.JudgeAsync(items);

        Assert.Equal(4, client.Calls);
        Assert.Equal(4, report.JudgeCalls);
        PairwiseJudgment same = report.Judgments.Single(j => j.Id == "same");
        Assert.Equal(PairwisePreference.Tie, same.Preference);
        Assert.True(same.IdenticalAnswers);
        Assert.Null(same.CandidateFirstVerdict);
        Assert.Equal(0.5, same.Score);
        Assert.Equal(3, report.Ties);
        Assert.Equal(0, report.Failed);
    }

    [Fact]
    public async Task JudgeAsync_JudgeAnswers401_StopsAtFirstCallAndRecordsNoFailure()
    {
        using var folder = new TemporaryRunFolder();
        var client = new ScriptedJudgeClient { Throw = (_, _) => FakePipelineResponse.Error(401) };
        var judge = new PairwiseJudge(client, new PairwiseJudgeOptions { CacheDirectory = folder.Path, Retry = null, MaxConcurrency = 1 });

        var stop = await Assert.ThrowsAsync<UnrecoverableCallException>(() => judge.JudgeAsync(Items(10)));

        Assert.Equal("judging", stop.Phase);
        Assert.Contains("API key", stop.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.Calls);
        Assert.False(File.Exists(folder.File("judge-failures.jsonl")));
    }

    [Fact]
    public async Task JudgeAsync_OneCallAnswers401WhileOthersAreInFlight_CancelsThemAndKeepsFinishedJudgments()
    {
        using var folder = new TemporaryRunFolder();
        var client = new ScriptedJudgeClient { Delay = TimeSpan.FromMilliseconds(100) };
        client.Throw = (a, _) => a == "good answer 3" ? FakePipelineResponse.Error(403) : null;
        var judge = new PairwiseJudge(client, new PairwiseJudgeOptions { CacheDirectory = folder.Path, Retry = null, MaxConcurrency = 2 });

        var stop = await Assert.ThrowsAsync<UnrecoverableCallException>(() => judge.JudgeAsync(Items(40)));

        Assert.Equal(403, stop.StatusCode);
        Assert.InRange(client.Calls, 1, 10);
        int stored = File.Exists(folder.File("judgments.jsonl")) ? folder.Lines("judgments.jsonl").Length : 0;
        Assert.InRange(stored, 0, client.Calls - 1);
        Assert.False(File.Exists(folder.File("judge-failures.jsonl")));
    }

    [Fact]
    public async Task JudgeAsync_CallFailsAfterRetries_LogsOneLineWithoutStackTrace()
    {
        var logger = new RecordingLogger();
        using var factory = logger.ToFactory();
        var client = new ScriptedJudgeClient { Throw = (a, _) => a == "good answer 1" ? FakePipelineResponse.Error(500) : null };
        var judge = new PairwiseJudge(client, new PairwiseJudgeOptions { Retry = null }, factory);

        PairwiseReport report = await judge.JudgeAsync(Items(3));

        Assert.Equal(1, report.Failed);
        string warning = Assert.Single(logger.At(LogLevel.Warning));
        Assert.Contains("ClientResultException: HTTP 500", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", warning, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', warning);
    }
}
