namespace Srt;

/// <summary>A line of <c>stage1/refinements.jsonl</c>: a refinement written by the separate <see cref="IRefiner"/>, used when the critique held none.</summary>
/// <remarks><c>judged</c>: The digest (<see cref="StoredRecords.Digest"/>) of the response it refines; absent in older files.</remarks>
internal sealed record RefinementRecord(string Id, string Text, TokenCounts? Usage, string? Judged = null) : IJudgedRecord
{
    /// <summary>Whether this refinement was written for <paramref name="response"/> (older records, without a digest, are trusted).</summary>
    public bool Judges(string response) => Judged is null || Judged == StoredRecords.Digest(response);
}
