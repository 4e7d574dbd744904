namespace Srt;

/// <summary>A line of <c>stage1/outcomes.jsonl</c> or <c>stage2/outcomes.jsonl</c>: what became of one item, rewritten at the end of each run.</summary>
internal sealed record OutcomeRecord(
    string Id,
    ItemOutcome Outcome,
    string? Reason,
    int? ResponseScore,
    int? RefinementScore);
