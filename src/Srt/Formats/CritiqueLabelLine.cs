using System.Text.RegularExpressions;

namespace Srt;

/// <summary>
/// Recognizes label lines: Markdown headings, bold labels and plain <c>Label:</c> lines, optionally numbered
/// (<c>1. Weaknesses:</c>), since critics often echo the numbered requirements.
/// </summary>
internal static partial class CritiqueLabelLine
{
    /// <summary>Classifies one line.</summary>
    /// <param name="line">The line, without its line break.</param>
    /// <param name="rest">The text after the label on the same line, trimmed; empty when none.</param>
    /// <returns>The label, or <see cref="CritiqueLabel.None"/>.</returns>
    public static CritiqueLabel Match(string line, out string rest)
    {
        rest = string.Empty;
        var match = KnownLabel().Match(line);
        if (match.Success)
        {
            bool isHeading = match.Groups["hash"].Success;
            bool hasColon = match.Groups["colon"].Success;
            bool isBold = match.Groups["open"].Success && (match.Groups["close1"].Success || match.Groups["close2"].Success);
            string after = match.Groups["rest"].Value.Trim();

            // "Weaknesses of the response are ..." is prose, not a label: a label is a heading, ends with a colon,
            // or is bold and alone on its line.
            if (hasColon || (after.Length == 0 && (isHeading || isBold || !match.Groups["open"].Success)))
            {
                rest = after;
                return Classify(match.Groups["label"].Value);
            }
        }

        if (OtherHeading().IsMatch(line) || BoldOnlyLine().IsMatch(line))
        {
            return CritiqueLabel.Other;
        }

        return CritiqueLabel.None;
    }

    private static CritiqueLabel Classify(string label)
    {
        var lower = label.ToLowerInvariant();
        if (lower.StartsWith("weak", StringComparison.Ordinal))
        {
            return CritiqueLabel.Weaknesses;
        }

        if (lower.Contains("suggestion", StringComparison.Ordinal) || lower.StartsWith("recommendation", StringComparison.Ordinal))
        {
            return CritiqueLabel.Suggestions;
        }

        if (lower.Contains("score", StringComparison.Ordinal) || lower.Contains("rating", StringComparison.Ordinal))
        {
            return CritiqueLabel.Score;
        }

        if (lower.StartsWith("improved", StringComparison.Ordinal))
        {
            return CritiqueLabel.ImprovedResponse;
        }

        if (lower == "feedback")
        {
            return CritiqueLabel.Feedback;
        }

        return CritiqueLabel.Other;
    }

    [GeneratedRegex(
        @"^[ \t]{0,3}(?<hash>\#{1,6}[ \t]*)?(?:[0-9]{1,2}[.)][ \t]+)?(?<open>\*\*|__)?[ \t]*(?<label>"
        + @"weaknesses|weakness|weak[ \t]+points|(?:actionable[ \t]+)?suggestions?(?:[ \t]+for[ \t]+improvement)?|recommendations?"
        + @"|overall[ \t]+(?:score|rating)|score|rating|improved[ \t]+response|feedback"
        + @"|strengths?|summary|evaluation|(?:overall[ \t]+)?assessment|conclusion|justification|explanation|analysis|comments"
        + @")[ \t]*(?:\([^)\n]*\))?[ \t]*(?<close1>\*\*|__)?[ \t]*(?<colon>:)?[ \t]*(?<close2>\*\*|__)?(?<rest>.*)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KnownLabel();

    [GeneratedRegex(@"^[ \t]{0,3}\#{1,6}[ \t]+\S", RegexOptions.CultureInvariant)]
    private static partial Regex OtherHeading();

    [GeneratedRegex(@"^[ \t]*(?:\*\*|__)[^*_\n]+(?:\*\*|__)[ \t]*:?[ \t]*$", RegexOptions.CultureInvariant)]
    private static partial Regex BoldOnlyLine();
}
