namespace Srt.TorchSharp.Training;

/// <summary>What a training run does when a step's loss or gradient norm is NaN or infinite. Either way that step
/// applies no update and no checkpoint is written from weights that gave a non-finite value.</summary>
public enum NonFiniteStepAction
{
    /// <summary>
    /// Stop with <see cref="NonFiniteTrainingException"/>, as PyTorch users expect of a diverged run (and what
    /// Megatron's NaN check does): the model is put back to the last checkpoint, which holds weights whose next step
    /// was found finite, and a rerun resumes from it.
    /// </summary>
    Stop = 0,

    /// <summary>
    /// Drop the step's gradients and go on with the next batch, as a dynamic loss scaler does on overflow: for a rare
    /// bad batch. The learning-rate schedule still advances; each skipped step is logged as a warning. Weights that keep
    /// failing are not saved, since a checkpoint is written only after a later step found them finite.
    /// </summary>
    Skip = 1,
}
