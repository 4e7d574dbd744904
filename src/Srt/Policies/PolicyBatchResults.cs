namespace Srt;

/// <summary>What <see cref="PolicyBatchFiles.ReadStageOneResults"/> or <see cref="PolicyBatchFiles.ReadStageTwoResults"/> read back.</summary>
/// <param name="Imported">The number of answers stored in the run directory by this call.</param>
/// <param name="AlreadyStored">The number of output lines skipped because the run directory already held that item's answer.</param>
/// <param name="Failures">
/// The items the engine did not answer (an error line, or a finish reason other than <c>stop</c> or <c>length</c>),
/// recorded in the stage's <c>failures.jsonl</c> as a failed generation, the same as in-process generation records them.
/// </param>
/// <param name="Missing">
/// The number of items that still need an answer: what the next request file would hold, and what the loop would
/// generate itself. Zero means the loop runs the stage without a single policy call.
/// </param>
public sealed record PolicyBatchResults(int Imported, int AlreadyStored, IReadOnlyList<ItemFailure> Failures, int Missing);
