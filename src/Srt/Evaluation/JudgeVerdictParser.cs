using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Srt.Evaluation;

/// <summary>Reads the verdict 'A' or 'B' from a judge's answer.</summary>
/// <remarks>
/// Accepted, in this order: bracketed verdicts such as <c>[[A]]</c>, <c>[[ b ]]</c> or <c>[A]</c> (when they all name
/// the same output; when they disagree the last one wins, since judges that explain themselves put the verdict
/// last); an answer that is only the letter (<c>A</c>, <c>"B".</c>); a phrase such as <c>Output A</c> or
/// <c>Output (b)</c> when only one output is named. Anything else is unparseable, with a reason.
/// </remarks>
public static partial class JudgeVerdictParser
{
    /// <summary>Parses a judge's answer.</summary>
    /// <param name="text">The answer.</param>
    /// <param name="verdict">'A' or 'B' when found.</param>
    /// <param name="reason">Why no verdict was found, when none was.</param>
    /// <returns><see langword="true"/> when a verdict was found.</returns>
    public static bool TryParse(string? text, out char verdict, [NotNullWhen(false)] out string? reason)
    {
        verdict = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "the judge's answer is empty";
            return false;
        }

        var bracketed = BracketedVerdict().Matches(text);
        if (bracketed.Count > 0)
        {
            verdict = char.ToUpperInvariant(bracketed[^1].Groups["v"].Value[0]);
            reason = null;
            return true;
        }

        string bare = text.Trim().Trim('"', '\'', '`', '*', '.', ' ', '(', ')');
        if (bare.Length == 1 && (bare[0] is 'A' or 'B' or 'a' or 'b'))
        {
            verdict = char.ToUpperInvariant(bare[0]);
            reason = null;
            return true;
        }

        var named = OutputPhrase().Matches(text).Select(m => char.ToUpperInvariant(m.Groups["v"].Value[0])).Distinct().ToList();
        if (named.Count == 1)
        {
            verdict = named[0];
            reason = null;
            return true;
        }

        string preview = text.Length <= 80 ? text.Trim() : text.Trim()[..77] + "...";
        reason = named.Count > 1
            ? $"the judge's answer names both outputs and no [[A]]/[[B]] verdict: \"{preview}\""
            : $"no [[A]] or [[B]] verdict in the judge's answer: \"{preview}\"";
        return false;
    }

    [GeneratedRegex(@"\[\[?\s*(?<v>[AaBb])\s*\]\]?")]
    private static partial Regex BracketedVerdict();

    [GeneratedRegex(@"\boutput\s*\(?(?<v>[AaBb])\)?(?![A-Za-z])", RegexOptions.IgnoreCase)]
    private static partial Regex OutputPhrase();
}
