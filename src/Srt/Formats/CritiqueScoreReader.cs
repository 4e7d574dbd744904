using System.Globalization;
using System.Text.RegularExpressions;

namespace Srt;

/// <summary>Reads the overall score from feedback text.</summary>
/// <remarks>
/// Accepted forms, case-insensitive, after an <c>Overall Score</c> (or <c>Overall Rating</c>, or a line-leading
/// <c>Score:</c>/<c>Rating:</c>) label that may be bold or a Markdown heading: <c>[[N]]</c>, <c>N</c>,
/// <c>[[N]]/10</c>, <c>[[N/10]]</c>, <c>N/10</c>, <c>N out of 10</c>, and the number on the next line after a heading. When no label
/// is present, a bare <c>[[N]]</c> counts. The <b>last</b> score wins, because critics that restate or correct a
/// score do so at the end. A last score that is not a whole number from 1 to 10 gives no score at all.
/// </remarks>
internal static partial class CritiqueScoreReader
{
    public static int? Read(string text)
    {
        var labelled = LabelledScore().Matches(text);
        if (labelled.Count > 0)
        {
            return Validate(labelled[^1].Groups["n"].Value);
        }

        var bare = BareScore().Matches(text);
        return bare.Count > 0 ? Validate(bare[^1].Groups["n"].Value) : null;
    }

    private static int? Validate(string number)
    {
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int score))
        {
            return null;
        }

        return score is >= Feedback.MinScore and <= Feedback.MaxScore ? score : null;
    }

    [GeneratedRegex(
        @"(?:overall[ \t]+(?:score|rating)|(?<=^|\n)[ \t]*(?:\#{1,6}[ \t]*)?(?:\*\*|__)?[ \t]*(?:score|rating)(?=[ \t*_]*(?:\([^)\n]*\))?[ \t*_]*:))"
        + @"[ \t]*(?:\([^)\n]*\))?[ \t*_]*:?[ \t*_]*(?:\r?\n[ \t*_]*){0,2}"
        + @"(?:\[\[[ \t]*(?<n>[0-9]+(?:\.[0-9]+)?)[ \t]*(?:/[ \t]*10[ \t]*)?\]\]|(?<n>[0-9]+(?:\.[0-9]+)?)(?![0-9.]*[ \t]*%))"
        + @"(?:[ \t]*(?:/|out[ \t]+of)[ \t]*10)?",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LabelledScore();

    [GeneratedRegex(@"\[\[[ \t]*(?<n>[0-9]+(?:\.[0-9]+)?)[ \t]*(?:/[ \t]*10[ \t]*)?\]\]", RegexOptions.CultureInvariant)]
    private static partial Regex BareScore();
}
