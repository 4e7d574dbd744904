namespace Srt;

/// <summary>
/// A trainer capability, reached through <see cref="ITrainer.GetService"/>: puts the result of a finished training
/// run back into the policy, so a rerun that finds a stage's training done continues from the trained weights rather
/// than the ones the process started with.
/// </summary>
/// <remarks>
/// The loop asks for it at the start of a rerun that finds finished training, and fails there, before any model call,
/// when the trainer offers none. It restores in stage order: the stage-1 result first, then the stage-2 result, so a
/// trainer whose checkpoints hold only what changed (LoRA adapters) can stack them as the training did.
/// </remarks>
public interface ITrainedStateRestorer
{
    /// <summary>Loads a finished training run's checkpoint into the model being trained.</summary>
    /// <param name="checkpointDirectory">The folder the run reported as <see cref="TrainingResult.CheckpointDirectory"/>,
    /// resolved against the run directory as it is now.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the model holds the checkpoint's weights.</returns>
    Task RestoreAsync(string checkpointDirectory, CancellationToken cancellationToken = default);
}
