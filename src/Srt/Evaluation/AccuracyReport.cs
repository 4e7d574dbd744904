using System.Text.Json.Serialization;

namespace Srt.Evaluation;

/// <summary>The result of <see cref="TaskAccuracyEvaluator.Evaluate"/>.</summary>
/// <param name="Items">Every item's result, in input order.</param>
public sealed record AccuracyReport(IReadOnlyList<AccuracyItemResult> Items)
{
    /// <summary>Gets the number of correct answers.</summary>
    public int Correct => Items.Count(item => item.IsCorrect);

    /// <summary>Gets the number of items.</summary>
    public int Total => Items.Count;

    /// <summary>Gets correct / total, or <see langword="null"/> when there are no items.</summary>
    public double? Accuracy => Total == 0 ? null : (double)Correct / Total;

    /// <summary>Gets the 95% Wilson interval of <see cref="Accuracy"/>.</summary>
    [JsonIgnore]
    public (double Lower, double Upper) Interval => WinRateStatistics.WilsonInterval(Correct, Total);
}
