using System.Text.RegularExpressions;

namespace Srt.Evaluation;

/// <summary>How <see cref="TaskAccuracyEvaluator"/> normalizes answers before comparing them exactly.</summary>
public sealed partial class AnswerNormalizationOptions
{
    /// <summary>Gets or sets a value indicating whether leading and trailing white space is removed.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Trim { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether case is ignored (invariant case folding).</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool CaseFold { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether runs of white space become one space.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool CollapseWhitespace { get; set; } = true;

    /// <summary>Gets or sets the characters removed from the end of an answer (repeatedly); empty keeps them.</summary>
    /// <value>The default is <c>.!?,;:</c>.</value>
    public string TrailingPunctuation { get; set; } = ".!?,;:";

    /// <summary>Normalizes one answer.</summary>
    /// <param name="answer">The answer.</param>
    /// <returns>The normalized answer.</returns>
    public string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        string text = CollapseWhitespace ? Whitespace().Replace(answer, " ") : answer;
        if (Trim)
        {
            text = text.Trim();
        }

        if (!string.IsNullOrEmpty(TrailingPunctuation))
        {
            text = text.TrimEnd(TrailingPunctuation.ToCharArray());
            if (Trim)
            {
                text = text.TrimEnd();
            }
        }

        return CaseFold ? text.ToUpperInvariant().ToLowerInvariant() : text;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
