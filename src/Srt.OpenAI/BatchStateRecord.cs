namespace Srt.OpenAI;

/// <summary>
/// One step of the batch state, appended to <c>batches.jsonl</c> before the step's effect is relied on:
/// <c>run</c> (the run's nonce), <c>file</c> (a request file written), <c>uploaded</c> (its file id),
/// <c>creating</c> (a batch create is about to be sent), <c>created</c> (the batch id) and <c>finished</c>.
/// </summary>
internal sealed record BatchStateRecord(string Event)
{
    public string? RunId { get; init; }

    public string? Digest { get; init; }

    public int? Lines { get; init; }

    public long? EstimatedTokens { get; init; }

    public string? FileId { get; init; }

    public string? BatchId { get; init; }

    public string? Status { get; init; }

    public string? Reason { get; init; }

    public DateTimeOffset? At { get; init; }
}
