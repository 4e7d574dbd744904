using System.Globalization;
using System.Text;

namespace Srt.Evaluation;

/// <summary>The comparison of every answer set in a run directory, as written to <c>eval/comparison.md</c> and <c>eval/comparison.json</c>.</summary>
/// <param name="Reference">What the win rates are against: "item references" or <c>{checkpoint}.{mode}</c>.</param>
/// <param name="Rows">One row per checkpoint and mode, in the order they were first generated.</param>
public sealed record EvaluationComparison(string Reference, IReadOnlyList<EvaluationRow> Rows)
{
    /// <summary>Writes the table as Markdown.</summary>
    /// <returns>The Markdown text.</returns>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("# Evaluation\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Win rates are against {Reference}, judged in both orders (a tie when the orders disagree); 95% Wilson intervals; LC = length-controlled (docs/evaluation.md).\n\n");
        text.Append("| checkpoint | mode | answers | fallbacks | avg chars | win rate [95% CI] | LC win rate | ties | judged / failed | judge calls (cached) | accuracy |\n");
        text.Append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
        foreach (var row in Rows)
        {
            var judge = row.Judge;
            string winRate = judge?.WinRate is double w ? $"{Percent(w)} [{Percent(judge.WinRateLower!.Value)}, {Percent(judge.WinRateUpper!.Value)}]" : "-";
            string accuracy = row.Accuracy?.Accuracy is double a ? $"{Percent(a)} ({row.Accuracy.Correct}/{row.Accuracy.Total})" : "-";
            text.Append(CultureInfo.InvariantCulture,
                $"| {row.Checkpoint} | {Mode(row.Mode)} | {row.Answers} | {row.FellBack} | {Number(row.AverageLength)} | {winRate} | {(judge?.LengthControlledWinRate is double lc ? Percent(lc) : "-")} | {(judge?.TieRate is double t ? Percent(t) : "-")} | {(judge is null ? "-" : $"{judge.Judged} / {judge.Failed}")} | {(judge is null ? "-" : $"{judge.JudgeCalls} ({judge.CachedJudgments})")} | {accuracy} |\n");
        }

        return text.ToString();
    }

    internal static string Mode(AnswerMode mode) => mode == AnswerMode.Direct ? "direct" : "self-refined";

    private static string Percent(double value) => (100 * value).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Number(double? value) => value?.ToString("F0", CultureInfo.InvariantCulture) ?? "-";
}
