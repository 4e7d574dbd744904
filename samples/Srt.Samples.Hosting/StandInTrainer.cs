namespace Srt.Samples.Hosting;

/// <summary>
/// A stand-in trainer: no gradient steps; supervised "training" switches the stand-in policy to self-refining. Its
/// "checkpoint" is a one-line file naming what it trained, so that a restarted host, whose loop restores finished
/// training through <see cref="ITrainedStateRestorer"/>, gets the "trained" policy back as a real trainer would.
/// </summary>
internal sealed class StandInTrainer(StandInPolicy policy) : ITrainer, ITrainedStateRestorer
{
    private const string CheckpointFile = "stand-in-checkpoint.txt";

    public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        policy.LearnedToSelfRefine = true;
        return Task.FromResult(new TrainingResult(0, double.NaN) { CheckpointDirectory = WriteCheckpoint(request.OutputDirectory, "supervised") });
    }

    public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new TrainingResult(0, double.NaN) { CheckpointDirectory = WriteCheckpoint(request.OutputDirectory, "preference") });

    public Task RestoreAsync(string checkpointDirectory, CancellationToken cancellationToken = default)
    {
        string kind = File.ReadAllText(Path.Combine(checkpointDirectory, CheckpointFile)).Trim();
        policy.LearnedToSelfRefine |= kind is "supervised" or "preference";
        return Task.CompletedTask;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    private static string? WriteCheckpoint(string? outputDirectory, string kind)
    {
        if (outputDirectory is null)
        {
            return null;
        }

        string folder = Path.Combine(outputDirectory, "checkpoint-0");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, CheckpointFile), kind + "\n");
        return folder;
    }
}
