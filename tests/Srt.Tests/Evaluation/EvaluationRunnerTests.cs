using System.Text.Json;
using Srt.Evaluation;
using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Evaluation;

public sealed class EvaluationRunnerTests
{
    private static readonly EvaluationItem[] Items =
    [
        new("q1", "Capital of France?") { ExpectedAnswer = "Paris" },
        new("q2", "2 + 2?") { ExpectedAnswer = "4" },
        new("q3", "Colour of the sky?"),
    ];

    private static string SelfRefined(string response, string refinement) =>
        SelfRefinementFormat.Default.Format(response, new Feedback("Weaknesses:\n- short\nSuggestions:\n- expand\nOverall Score: [[3]]", ["short"], ["expand"], 3), refinement, 8);

    [Fact]
    public async Task GenerateAndCompare_ThreeCheckpoints_WritesTableWithWinRatesAccuracyAndFallbacks()
    {
        using var folder = new TemporaryRunFolder();
        var options = new EvaluationOptions { RunDirectory = folder.Path, BaselineCheckpoint = "base", MaxNewTokens = 32, SelfRefinedMaxNewTokens = 96 };
        var client = new ScriptedJudgeClient { Verdict = (a, b) => a.Length >= b.Length ? "[[A]]" : "[[B]]" };
        var runner = new EvaluationRunner(options, cache => new PairwiseJudge(client, new PairwiseJudgeOptions { CacheDirectory = cache, Retry = null }));

        var basePolicy = new TestPolicyModel { AnswerCallback = instruction => new PolicyCompletion(instruction.StartsWith("Capital", StringComparison.Ordinal) ? "Paris" : "no idea") };
        var trained = new TestPolicyModel
        {
            AnswerCallback = instruction => new PolicyCompletion(instruction switch
            {
                "Capital of France?" => SelfRefined("Lyon", "Paris."),
                "2 + 2?" => SelfRefined("5", "4"),
                _ => "The sky is blue on a clear day.",
            }),
        };

        var comparison = await runner.RunAsync([new("base", basePolicy), new("stage1", trained)], Items);

        Assert.Equal(["base.direct", "base.self-refined", "stage1.direct", "stage1.self-refined"], comparison.Rows.Select(r => $"{r.Checkpoint}.{EvaluationComparison.Mode(r.Mode)}"));
        var baseDirect = comparison.Rows[0];
        Assert.Null(baseDirect.Judge);
        Assert.Equal(0.5, baseDirect.Accuracy!.Accuracy);
        var refined = comparison.Rows[3];
        Assert.Equal(1, refined.FellBack);
        Assert.Equal(1.0, refined.Accuracy!.Accuracy);
        Assert.Equal(3, refined.Judge!.Judged);
        Assert.Equal(0, comparison.Rows[2].Accuracy!.Correct);
        Assert.Equal(12, basePolicy.PromptCount + trained.PromptCount);

        // Budget: three answer sets judged against base.direct; base.self-refined falls back to the same text as
        // base.direct, so its 3 items are ties without a call; the two stage-1 sets cost 3 items × 2 orders each.
        Assert.True(comparison.Rows[1].Judge!.Judgments.All(j => j.IdenticalAnswers && j.Preference == PairwisePreference.Tie));
        Assert.Equal(12, client.Calls);
        string markdown = File.ReadAllText(folder.File("eval", "comparison.md"));
        Assert.Contains("| stage1 | self-refined | 3 | 1 |", markdown, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(folder.File("eval", "comparison.json")));
        Assert.Equal(4, json.RootElement.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public async Task GenerateAsync_Rerun_GeneratesOnlyMissingAnswers()
    {
        using var folder = new TemporaryRunFolder();
        var runner = new EvaluationRunner(new EvaluationOptions { RunDirectory = folder.Path });
        var policy = new TestPolicyModel();
        await runner.GenerateAsync("base", policy, Items.Take(2));

        int generated = await runner.GenerateAsync("base", policy, Items);

        Assert.Equal(2, generated);
        Assert.Equal(6, policy.PromptCount);
        Assert.Equal(3, folder.Lines("eval", "answers", "base.direct.jsonl").Length);
    }

    [Fact]
    public async Task GenerateAsync_AnswersStoredUnderOtherWeights_GeneratedAgainOnceThenReused()
    {
        // "stage1" answers written while the policy still held the base weights (a rerun that skipped training).
        using var folder = new TemporaryRunFolder();
        var runner = new EvaluationRunner(new EvaluationOptions { RunDirectory = folder.Path });
        await runner.GenerateAsync("stage1", new TestPolicyModel { AnswerCallback = _ => new PolicyCompletion("untrained") }, Items, [AnswerMode.Direct], weights: "base");
        var trained = new TestPolicyModel { AnswerCallback = _ => new PolicyCompletion("trained") };

        int regenerated = await runner.GenerateAsync("stage1", trained, Items, [AnswerMode.Direct], weights: "stage1-7f3a");
        int again = await runner.GenerateAsync("stage1", trained, Items, [AnswerMode.Direct], weights: "stage1-7f3a");

        Assert.Equal(3, regenerated);
        Assert.Equal(0, again);
        Assert.Equal(3, trained.PromptCount);
        string[] lines = folder.Lines("eval", "answers", "stage1.direct.jsonl");
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"answer\":\"trained\"", line, StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Contains("\"weights\":\"stage1-7f3a\"", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GenerateAsync_ReusedIdForNewInstruction_Throws()
    {
        using var folder = new TemporaryRunFolder();
        var runner = new EvaluationRunner(new EvaluationOptions { RunDirectory = folder.Path });
        await runner.GenerateAsync("base", new TestPolicyModel(), Items);

        await Assert.ThrowsAsync<InvalidOperationException>(() => runner.GenerateAsync("base", new TestPolicyModel(), [new EvaluationItem("q1", "Something else?")]));
    }

    [Fact]
    public void Constructor_BadCheckpointName_Throws() =>
        Assert.Throws<ArgumentException>(() => new EvaluationRunner(new EvaluationOptions { RunDirectory = "x", BaselineCheckpoint = "../up" }));
}
