namespace Srt;

/// <summary>
/// The cost-relevant counts of one <see cref="IBatchCritic.CritiqueBatchAsync"/> call: requests and tokens by state.
/// Batch requests are billed at the batch price, synchronous retries at the normal price.
/// </summary>
public sealed record BatchCritiqueReport
{
    /// <summary>Gets the number of requests asked for.</summary>
    public int Requests { get; init; }

    /// <summary>Gets the number of batches created by this call (never one already created by an earlier run).</summary>
    public int BatchesCreated { get; init; }

    /// <summary>Gets the number of batches an earlier, interrupted run had submitted, resumed instead of submitted again.</summary>
    public int BatchesResumed { get; init; }

    /// <summary>Gets the number of request lines sent in the batches created by this call, follow-up batches included.</summary>
    public int LinesSubmitted { get; init; }

    /// <summary>Gets the conservative token estimate of the lines sent in the batches created by this call (see the batch critic's documentation).</summary>
    public long EstimatedTokensSubmitted { get; init; }

    /// <summary>Gets the number of lines answered in a batch.</summary>
    public int LinesCompleted { get; init; }

    /// <summary>Gets the input tokens reported for the lines answered in a batch.</summary>
    public long CompletedInputTokens { get; init; }

    /// <summary>Gets the output tokens reported for the lines answered in a batch.</summary>
    public long CompletedOutputTokens { get; init; }

    /// <summary>Gets the number of line results that were errors (each attempt counts).</summary>
    public int LinesFailed { get; init; }

    /// <summary>Gets the number of lines left unanswered by a batch that expired, was cancelled or failed (each attempt counts).</summary>
    public int LinesUnfinished { get; init; }

    /// <summary>Gets the number of lines sent again in follow-up batches.</summary>
    public int LinesRetriedInBatches { get; init; }

    /// <summary>Gets the number of requests retried synchronously, at the normal price.</summary>
    public int RetriedSynchronously { get; init; }

    /// <summary>Gets the input tokens reported for the synchronous retries.</summary>
    public long SynchronousInputTokens { get; init; }

    /// <summary>Gets the output tokens reported for the synchronous retries.</summary>
    public long SynchronousOutputTokens { get; init; }

    /// <summary>Gets the number of requests that ended without an answer.</summary>
    public int FinalFailures { get; init; }
}
