namespace Srt;

/// <summary>
/// A line of <c>stage1/critiques.jsonl</c> (the critic's feedback and refinement of a response) or of
/// <c>stage1/refinement-scores.jsonl</c> (the separate call that scores the refinement without seeing the feedback).
/// </summary>
internal sealed record CritiqueRecord(
    string Id,
    Feedback Feedback,
    string? ImprovedResponse,
    string RawText,
    TokenCounts? Usage)
{
    public static CritiqueRecord From(string id, Critique critique) =>
        new(id, critique.Feedback, critique.ImprovedResponse, critique.RawText, TokenCounts.From(critique.Usage));
}
