namespace Srt;

/// <summary>What <see cref="PolicyBatchFiles.WriteStageOneRequests"/> or <see cref="PolicyBatchFiles.WriteStageTwoRequests"/> wrote.</summary>
/// <param name="RequestFile">The OpenAI-batch request file (JSONL), the input of <c>vllm run-batch -i</c>.</param>
/// <param name="Requests">The number of requests written: items with no stored answer yet.</param>
/// <param name="Stored">The number of items whose answer the run directory already holds (not written).</param>
/// <param name="NotRetried">The number of items that failed before and are not retried (<see cref="SelfRefinementOptions.RetryFailedItems"/> is off).</param>
public sealed record PolicyBatchRequests(string RequestFile, int Requests, int Stored, int NotRetried);
