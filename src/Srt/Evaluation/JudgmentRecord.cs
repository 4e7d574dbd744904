namespace Srt.Evaluation;

/// <summary>A line of <c>judgments.jsonl</c>: one judge call for one order, keyed by item id, content hash and order.</summary>
internal sealed record JudgmentRecord(
    string Id,
    string Key,
    JudgeOrder Order,
    char? Verdict,
    string? Unparseable,
    string RawText,
    TokenCounts? Usage);
