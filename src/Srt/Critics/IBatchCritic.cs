namespace Srt;

/// <summary>
/// A critic's capability to answer many critiques at once through an asynchronous batch service (such as the OpenAI
/// Batch API) at a lower price and with a delay of up to a day. Stage 1 asks the critic for it through
/// <see cref="ICritic.GetService"/> when <see cref="SelfRefinementOptions.CritiqueInBatches"/> is set.
/// </summary>
/// <remarks>
/// The answers must be those <see cref="ICritic.CritiqueAsync"/> would give for the same requests (same prompt, model
/// and settings, same parsing), so the loop cannot tell the two modes apart. An implementation keeps what it submitted
/// in <c>stateDirectory</c> so that a rerun after a crash resumes the same batches instead of paying for them again.
/// </remarks>
public interface IBatchCritic
{
    /// <summary>Critiques every request, through batches, and returns when each has an answer or a final failure.</summary>
    /// <param name="requests">The requests; their ids are unique and stable across reruns (item id plus call kind).</param>
    /// <param name="stateDirectory">The folder of the run where the batch state (request files, file and batch ids) lives.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The critiques by request id, the failures by request id and the counts that drive the cost.</returns>
    Task<BatchCritiqueResult> CritiqueBatchAsync(
        IReadOnlyList<BatchCritiqueRequest> requests, string stateDirectory, CancellationToken cancellationToken = default);
}
