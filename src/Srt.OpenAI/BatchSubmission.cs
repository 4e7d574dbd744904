namespace Srt.OpenAI;

/// <summary>One request file and what became of it: its upload, its batch and, once the batch ended, each line's result.</summary>
internal sealed class BatchSubmission(string digest, string path, IReadOnlyList<BatchLine> lines, long estimatedTokens)
{
    public string Digest { get; } = digest;

    public string RequestPath { get; } = path;

    public IReadOnlyList<BatchLine> Lines { get; } = lines;

    public long EstimatedTokens { get; } = estimatedTokens;

    public string? FileId { get; set; }

    /// <summary>Gets or sets when a create was sent without its answer being recorded: the batch may exist.</summary>
    public DateTimeOffset? CreatingAt { get; set; }

    public string? BatchId { get; set; }

    /// <summary>Gets or sets the batch's final status (completed, failed, expired, cancelled), or <see langword="null"/> while it runs.</summary>
    public string? FinalStatus { get; set; }

    public string? FinalReason { get; set; }

    /// <summary>Gets the result of each line the batch answered or rejected, by custom id.</summary>
    public Dictionary<string, BatchLineResult> Results { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the result of a line, or the reason it has none (the batch ended first).</summary>
    public BatchLineResult ResultOf(string customId) =>
        Results.TryGetValue(customId, out BatchLineResult? result)
            ? result
            : BatchLineResult.Unfinished($"batch {BatchId} ended '{FinalStatus}' before this request was answered{(FinalReason is null ? string.Empty : $" ({FinalReason})")}");
}
