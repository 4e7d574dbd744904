namespace Srt.Samples.Quickstart;

/// <summary>
/// A stand-in trainer: it takes no gradient steps (a later sample trains a real TorchSharp model); supervised
/// "training" switches the scripted policy into its self-refining mode, so stage 2 has something to work with.
/// </summary>
internal sealed class ScriptedTrainer(ScriptedPolicy policy) : ITrainer
{
    public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        policy.LearnedToSelfRefine = true;
        return Task.FromResult(new TrainingResult(0, double.NaN));
    }

    public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new TrainingResult(0, double.NaN));

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
}
