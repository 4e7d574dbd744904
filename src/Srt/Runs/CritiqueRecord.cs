namespace Srt;

/// <summary>
/// A line of <c>stage1/critiques.jsonl</c> (the critic's feedback and refinement of a response) or of
/// <c>stage1/refinement-scores.jsonl</c> (the separate call that scores the refinement without seeing the feedback).
/// </summary>
/// <remarks><c>judged</c>: The digest (<see cref="StoredRecords.Digest"/>) of the text the critic judged: the response, or
/// the refinement for a score. A stored result is reused only for that exact text; absent in older files.</remarks>
internal sealed record CritiqueRecord(
    string Id,
    Feedback Feedback,
    string? ImprovedResponse,
    string RawText,
    TokenCounts? Usage,
    string? Judged = null) : IJudgedRecord
{
    public static CritiqueRecord From(string id, Critique critique, string judgedText) =>
        new(id, critique.Feedback, critique.ImprovedResponse, critique.RawText, TokenCounts.From(critique.Usage), StoredRecords.Digest(judgedText));

    /// <summary>Whether this result was made for <paramref name="text"/> (older records, without a digest, are trusted).</summary>
    public bool Judges(string text) => Judged is null || Judged == StoredRecords.Digest(text);
}
