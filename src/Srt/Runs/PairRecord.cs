namespace Srt;

/// <summary>A line of <c>stage2/pairs.jsonl</c>: one preference pair exactly as handed to the trainer.</summary>
internal sealed record PairRecord(
    string Id,
    string? SystemPrompt,
    string Instruction,
    string Chosen,
    string Rejected,
    int ResponseScore,
    int RefinementScore);
