using Srt;

/// <summary>
/// A stage-1 trainer for loop tests: records the examples, writes an empty checkpoint folder (as a real trainer
/// leaves one), and restores it on a rerun through <see cref="ITrainedStateRestorer"/>, recording each restore.
/// Preference training is not supported.
/// </summary>
internal sealed class SupervisedTrainerDouble : ITrainer, ITrainedStateRestorer
{
    public List<SupervisedExample> Examples { get; } = [];

    public List<string> Restored { get; } = [];

    public int SupervisedCalls { get; private set; }

    public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        SupervisedCalls++;
        Examples.AddRange(request.Examples);
        string checkpoint = Path.Combine(request.OutputDirectory ?? throw new InvalidOperationException("No output directory."), "checkpoint-1");
        Directory.CreateDirectory(checkpoint);
        return Task.FromResult(new TrainingResult(1, 0.5) { CheckpointDirectory = checkpoint });
    }

    public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task RestoreAsync(string checkpointDirectory, CancellationToken cancellationToken = default)
    {
        Restored.Add(checkpointDirectory);
        return Task.CompletedTask;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
