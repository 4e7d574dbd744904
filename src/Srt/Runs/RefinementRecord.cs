namespace Srt;

/// <summary>A line of <c>stage1/refinements.jsonl</c>: a refinement written by the separate <see cref="IRefiner"/>, used when the critique held none.</summary>
internal sealed record RefinementRecord(string Id, string Text, TokenCounts? Usage);
