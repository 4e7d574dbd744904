namespace Srt.Samples.Hosting;

/// <summary>A stand-in trainer: no gradient steps; supervised "training" switches the stand-in policy to self-refining.</summary>
internal sealed class StandInTrainer(StandInPolicy policy) : ITrainer
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
