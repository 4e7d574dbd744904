namespace Srt;

/// <summary>The headings <see cref="SelfRefinementFormat"/> writes between the parts of a self-refinement.</summary>
/// <remarks>
/// Each heading is written on its own line, preceded by a blank line. Change them only before stage 1: a model
/// trained with one set of headings writes those headings, and stage 2 must parse with the same set.
/// </remarks>
public sealed class SelfRefinementFormatOptions
{
    /// <summary>Gets or sets the heading before the feedback.</summary>
    /// <value>The default is <c>### Feedback</c>.</value>
    public string FeedbackHeading { get; set; } = "### Feedback";

    /// <summary>Gets or sets the heading before the refinement.</summary>
    /// <value>The default is <c>### Improved Response</c>.</value>
    public string RefinementHeading { get; set; } = "### Improved Response";

    /// <summary>Gets or sets the heading before the refinement's self-score.</summary>
    /// <value>The default is <c>### Refinement Score</c>.</value>
    public string RefinementScoreHeading { get; set; } = "### Refinement Score";

    /// <summary>Checks that every heading is set, single-line and distinct.</summary>
    /// <exception cref="ArgumentException">A heading is empty, spans lines, or repeats another.</exception>
    public void Validate()
    {
        string[] headings = [FeedbackHeading, RefinementHeading, RefinementScoreHeading];
        string[] names = [nameof(FeedbackHeading), nameof(RefinementHeading), nameof(RefinementScoreHeading)];
        for (int i = 0; i < headings.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(headings[i]) || headings[i].Contains('\n') || headings[i].Contains('\r'))
            {
                throw new ArgumentException($"{names[i]} must be one non-empty line; it was '{headings[i]}'.", names[i]);
            }

            for (int j = 0; j < i; j++)
            {
                if (string.Equals(headings[i].Trim(), headings[j].Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArgumentException($"{names[i]} repeats {names[j]} ('{headings[i]}').", names[i]);
                }
            }
        }
    }
}
