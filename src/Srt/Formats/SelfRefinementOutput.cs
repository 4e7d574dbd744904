namespace Srt;

/// <summary>
/// What a stage-1-trained policy writes in one pass: its response, feedback on it (with the response's self-score)
/// and a refinement, optionally followed by the refinement's self-score.
/// </summary>
/// <param name="Response">The initial response.</param>
/// <param name="Feedback">The self-feedback; its <see cref="Feedback.Score"/> is the response's self-score.</param>
/// <param name="Refinement">The improved response.</param>
/// <param name="RefinementScore">The refinement's self-score, or <see langword="null"/> when none was written.</param>
public sealed record SelfRefinementOutput(string Response, Feedback Feedback, string Refinement, int? RefinementScore)
{
    /// <summary>Gets the response's self-score, read from the feedback.</summary>
    public int? ResponseScore => Feedback.Score;
}
