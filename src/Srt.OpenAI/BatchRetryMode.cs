namespace Srt.OpenAI;

/// <summary>What <see cref="OpenAIBatchCritic"/> does with requests a batch did not answer (line errors, expired or cancelled batches).</summary>
public enum BatchRetryMode
{
    /// <summary>Send them again in a follow-up batch, at the batch price, up to <see cref="OpenAIBatchOptions.MaxFollowUpBatches"/> times.</summary>
    FollowUpBatch,

    /// <summary>Send each one as a synchronous call at the normal price, so the run does not wait another batch window.</summary>
    Synchronous,

    /// <summary>Retry nothing: they become the items' recorded failures (a later run retries them as it retries any failure).</summary>
    None,
}
