using Srt.Evaluation;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Evaluation;

public sealed class PairwiseJudgeTests
{
    // Candidates marked "good" beat references marked "plain"; "tie" items get a judge that always says A.
    private static List<PairwiseItem> Items(int wins, int ties, int losses)
    {
        var items = new List<PairwiseItem>();
        for (int i = 0; i < wins; i++)
        {
            items.Add(new PairwiseItem($"w{i}", $"Question w{i}?", $"good answer w{i}", $"plain answer w{i}"));
        }

        for (int i = 0; i < ties; i++)
        {
            items.Add(new PairwiseItem($"t{i}", $"Question t{i}?", $"tie answer t{i}", $"tie reference t{i}"));
        }

        for (int i = 0; i < losses; i++)
        {
            items.Add(new PairwiseItem($"l{i}", $"Question l{i}?", $"plain answer l{i}", $"good answer l{i}"));
        }

        return items;
    }

    private static string PreferGood(string a, string b) =>
        a.StartsWith("tie", StringComparison.Ordinal) ? "[[A]]" : a.StartsWith("good", StringComparison.Ordinal) ? "Output A is better. [[A]]" : "[[B]]";

    private static PairwiseJudge Judge(ScriptedJudgeClient client, string? cache = null, int concurrency = 8) =>
        new(client, new PairwiseJudgeOptions { CacheDirectory = cache, Retry = null, MaxConcurrency = concurrency });

    [Fact]
    public async Task JudgeAsync_JudgeAlwaysPicksFirstOutput_EveryItemIsATie()
    {
        var client = new ScriptedJudgeClient { Verdict = (_, _) => "[[A]]" };

        var report = await Judge(client).JudgeAsync(Items(3, 0, 3));

        Assert.Equal(6, report.Ties);
        Assert.Equal(0, report.Wins);
        Assert.Equal(0, report.Losses);
        Assert.Equal(0.5, report.WinRate);
        Assert.Equal(1.0, report.TieRate);
        Assert.All(report.Judgments, j => Assert.Equal(('A', 'A'), (j.CandidateFirstVerdict!.Value, j.ReferenceFirstVerdict!.Value)));
        Assert.Equal(12, client.Calls);
    }

    [Fact]
    public async Task JudgeAsync_SevenWinsTwoTiesOneLoss_WinRateAndWilsonIntervalMatchHandComputation()
    {
        var client = new ScriptedJudgeClient { Verdict = PreferGood };

        var report = await Judge(client).JudgeAsync(Items(7, 2, 1));

        Assert.Equal((7, 2, 1, 0), (report.Wins, report.Ties, report.Losses, report.Failed));
        Assert.Equal(0.8, report.WinRate!.Value, 12);
        Assert.Equal(0.2, report.TieRate!.Value, 12);

        // Wilson, p = 8/10, z = 1.96: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), computed by hand.
        Assert.Equal(0.490162, report.WinRateLower!.Value, 5);
        Assert.Equal(0.943318, report.WinRateUpper!.Value, 5);
        Assert.Equal(20, report.JudgeCalls);
        Assert.Equal(2000, report.InputTokens);
        Assert.Equal(60, report.OutputTokens);
        Assert.Equal(Items(7, 2, 1).Average(i => i.Candidate.Length), report.AverageCandidateLength);
    }

    [Fact]
    public async Task JudgeAsync_EqualLengths_LengthControlledWinRateEqualsRawWinRate()
    {
        // Every candidate and reference has the same length, so the length term cannot explain anything.
        var items = Enumerable.Range(0, 9).Select(i => new PairwiseItem($"i{i}", "Q?", i < 6 ? "goodX" : "tieXX", i < 6 ? "plain" : "tieYY")).ToList();
        items[8] = items[8] with { Candidate = "plain", Reference = "goodY" };
        var client = new ScriptedJudgeClient { Verdict = PreferGood };

        var report = await Judge(client).JudgeAsync(items);

        Assert.Equal((6, 2, 1), (report.Wins, report.Ties, report.Losses));
        Assert.Equal(7.0 / 9, report.WinRate!.Value, 12);
        Assert.Equal(report.WinRate!.Value, report.LengthControlledWinRate!.Value, 9);
    }

    [Fact]
    public async Task JudgeAsync_RerunWithSameCache_MakesNoCallsAndGivesSameReport()
    {
        using var folder = new TemporaryRunFolder();
        var first = new ScriptedJudgeClient { Verdict = PreferGood };
        var report1 = await Judge(first, folder.Path).JudgeAsync(Items(4, 1, 2));
        var second = new ScriptedJudgeClient { Verdict = (_, _) => throw new InvalidOperationException("must not be called") };

        var report2 = await Judge(second, folder.Path).JudgeAsync(Items(4, 1, 2));

        Assert.Equal(14, first.Calls);
        Assert.Equal(0, second.Calls);
        Assert.Equal(14, report2.CachedJudgments);
        Assert.Equal(0, report2.JudgeCalls);
        Assert.Equal(report1.WinRate, report2.WinRate);
        Assert.Equal(14, folder.Lines("judgments.jsonl").Length);
    }

    [Fact]
    public async Task JudgeAsync_ChangedCandidate_JudgesOnlyTheChangedItemAgain()
    {
        using var folder = new TemporaryRunFolder();
        var items = Items(3, 0, 0);
        await Judge(new ScriptedJudgeClient { Verdict = PreferGood }, folder.Path).JudgeAsync(items);
        items[1] = items[1] with { Candidate = "plain now", Reference = "good reference" };
        var client = new ScriptedJudgeClient { Verdict = PreferGood };

        var report = await Judge(client, folder.Path).JudgeAsync(items);

        Assert.Equal(2, client.Calls);
        Assert.Equal((2, 0, 1), (report.Wins, report.Ties, report.Losses));
    }

    [Fact]
    public async Task JudgeAsync_UnparseableAndThrowingCalls_RecordedAsFailuresAndRunContinues()
    {
        using var folder = new TemporaryRunFolder();
        var items = Items(4, 0, 0);
        items[1] = items[1] with { Candidate = "good but confusing" };
        items[2] = items[2] with { Candidate = "good but broken" };
        var client = new ScriptedJudgeClient
        {
            Verdict = (a, b) => a.Contains("confusing", StringComparison.Ordinal) || b.Contains("confusing", StringComparison.Ordinal) ? "I cannot decide." : PreferGood(a, b),
            Throw = (a, _) => a.Contains("broken", StringComparison.Ordinal) ? new InvalidOperationException("server exploded") : null,
        };

        var report = await Judge(client, folder.Path).JudgeAsync(items);

        Assert.Equal((2, 2), (report.Wins, report.Failed));
        Assert.Equal(1.0, report.WinRate);
        var confusing = report.Judgments.Single(j => j.Id == "w1");
        Assert.Equal(PairwisePreference.Failed, confusing.Preference);
        Assert.Contains("no [[A]] or [[B]] verdict", confusing.FailureReason, StringComparison.Ordinal);
        var broken = report.Judgments.Single(j => j.Id == "w2");
        Assert.Contains("server exploded", broken.FailureReason, StringComparison.Ordinal);
        Assert.Single(folder.Lines("judge-failures.jsonl"));

        // The rerun retries only the call that threw; the unparseable answer is a stored result.
        client.Throw = (_, _) => null;
        int before = client.Calls;
        var rerun = await Judge(client, folder.Path).JudgeAsync(items);
        Assert.Equal(1, client.Calls - before);
        Assert.Equal((3, 1), (rerun.Wins, rerun.Failed));
    }

    [Fact]
    public async Task JudgeAsync_MaxConcurrencyThree_NeverMoreThanThreeCallsInFlight()
    {
        var client = new ScriptedJudgeClient { Verdict = PreferGood, Delay = TimeSpan.FromMilliseconds(20) };

        await Judge(client, concurrency: 3).JudgeAsync(Items(10, 0, 0));

        Assert.Equal(20, client.Calls);
        Assert.InRange(client.MaxInFlight, 2, 3);
    }

    [Fact]
    public async Task JudgeAsync_Cancelled_ThrowsAndKeepsFinishedJudgments()
    {
        using var folder = new TemporaryRunFolder();
        using var cancellation = new CancellationTokenSource();
        var client = new ScriptedJudgeClient { Verdict = PreferGood, Delay = TimeSpan.FromMilliseconds(30) };
        var judging = Judge(client, folder.Path, concurrency: 1).JudgeAsync(Items(20, 0, 0), cancellationToken: cancellation.Token);
        // Cancel once a judgment is on disk (not after a fixed delay, which a loaded machine can outlast or undercut).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (folder.Lines("judgments.jsonl").Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "No judgment reached disk within 30 s.");
            await Task.Delay(10);
        }

        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => judging);
        int stored = folder.Lines("judgments.jsonl").Length;
        Assert.InRange(stored, 1, 39);

        var rerun = new ScriptedJudgeClient { Verdict = PreferGood };
        var report = await Judge(rerun, folder.Path).JudgeAsync(Items(20, 0, 0));
        Assert.Equal(40 - stored, rerun.Calls);
        Assert.Equal(20, report.Wins);
    }

    [Fact]
    public async Task JudgeAsync_TokenCounter_ReportsAverageTokens()
    {
        var client = new ScriptedJudgeClient { Verdict = PreferGood };
        var judge = new PairwiseJudge(client, new PairwiseJudgeOptions { Retry = null, CountTokens = text => text.Split(' ').Length });

        var report = await judge.JudgeAsync([new PairwiseItem("a", "Q", "good one two", "plain"), new PairwiseItem("b", "Q", "good", "plain x")]);

        Assert.Equal(2.0, report.AverageCandidateTokens);
        Assert.Equal(1.5, report.AverageReferenceTokens);
    }

    [Fact]
    public async Task JudgeAsync_DuplicateIds_Throws()
    {
        var judge = Judge(new ScriptedJudgeClient());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => judge.JudgeAsync([new PairwiseItem("x", "Q", "a", "b"), new PairwiseItem("x", "Q", "c", "d")]));
        Assert.Contains("'x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JudgeAsync_Prompt_ShowsBothOrdersWithInstruction()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string, string)>();
        var client = new ScriptedJudgeClient { Verdict = (a, b) => { seen.Add((a, b)); return "[[A]]"; } };

        await Judge(client).JudgeAsync([new PairwiseItem("x", "Name a colour.", "Red.", "Blue.")]);

        Assert.Equal([("Blue.", "Red."), ("Red.", "Blue.")], seen.OrderBy(pair => pair.Item1));
    }
}
