namespace Srt.Evaluation;

/// <summary>A line of <c>judge-failures.jsonl</c>: a judge call that threw (after retries); retried on the next run.</summary>
internal sealed record JudgeFailureRecord(string Id, string Key, JudgeOrder Order, string Reason, string? ExceptionType, DateTimeOffset At);
