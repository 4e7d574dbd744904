namespace Srt.Evaluation;

/// <summary>
/// Task accuracy on datasets with exact answers: each answer is normalized (see <see cref="AnswerNormalizationOptions"/>)
/// and handed with the normalized expected answer to a checker, by default exact string equality.
/// </summary>
/// <remarks>
/// A custom checker receives the normalized texts, so it can, say, compare numbers (<c>"42.0"</c> vs <c>"42"</c>) or
/// look for the expected answer in the last line of a longer answer.
/// </remarks>
public sealed class TaskAccuracyEvaluator
{
    private readonly AnswerNormalizationOptions _normalization;
    private readonly Func<string, string, bool> _checker;

    /// <summary>Initializes a new instance of the <see cref="TaskAccuracyEvaluator"/> class.</summary>
    /// <param name="normalization">How answers are normalized; <see langword="null"/> uses the defaults.</param>
    /// <param name="checker">Decides correctness from (normalized expected, normalized actual); <see langword="null"/> compares them exactly (ordinal).</param>
    public TaskAccuracyEvaluator(AnswerNormalizationOptions? normalization = null, Func<string, string, bool>? checker = null)
    {
        _normalization = normalization ?? new AnswerNormalizationOptions();
        _checker = checker ?? ExactMatch;
    }

    /// <summary>Compares two normalized answers exactly (ordinal).</summary>
    /// <param name="expected">The normalized correct answer.</param>
    /// <param name="actual">The normalized model answer.</param>
    /// <returns><see langword="true"/> when they are equal.</returns>
    public static bool ExactMatch(string expected, string actual) => string.Equals(expected, actual, StringComparison.Ordinal);

    /// <summary>Checks every answer.</summary>
    /// <param name="items">The answers with their expected answers.</param>
    /// <returns>Accuracy and per-item results.</returns>
    public AccuracyReport Evaluate(IEnumerable<AccuracyItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var results = new List<AccuracyItemResult>();
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            string expected = _normalization.Normalize(item.Expected ?? throw new ArgumentException($"Item '{item.Id}' has no expected answer.", nameof(items)));
            string actual = _normalization.Normalize(item.Actual ?? string.Empty);
            results.Add(new AccuracyItemResult(item.Id, item.Expected, item.Actual ?? string.Empty, expected, actual, _checker(expected, actual)));
        }

        return new AccuracyReport(results);
    }
}
