namespace Srt;

/// <summary>A line of <c>stage1/failures.jsonl</c> or <c>stage2/failures.jsonl</c>: a model call that threw.</summary>
internal sealed record FailureRecord(string Id, StagePhase Phase, string Reason, string? ExceptionType, DateTimeOffset At);
