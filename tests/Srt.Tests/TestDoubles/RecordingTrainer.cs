using System.Collections.Concurrent;

namespace Srt.Tests.TestDoubles;

/// <summary>
/// An <see cref="ITrainer"/> that records its requests; settable callbacks decide the results. By default each run
/// writes an empty <c>checkpoint-2</c> folder in its output directory and reports it, and, as an
/// <see cref="ITrainedStateRestorer"/>, it records every restore it is asked for.
/// </summary>
internal sealed class RecordingTrainer : ITrainer, ITrainedStateRestorer
{
    public ConcurrentQueue<SupervisedTrainingRequest> SupervisedRequests { get; } = new();

    public ConcurrentQueue<PreferenceTrainingRequest> PreferenceRequests { get; } = new();

    /// <summary>Gets or sets what supervised training does; the default reports two steps and returns their summary.</summary>
    public Func<SupervisedTrainingRequest, IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>>? SupervisedCallback { get; set; }

    /// <summary>Gets or sets what preference training does; the default reports two steps and returns their summary.</summary>
    public Func<PreferenceTrainingRequest, IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>>? PreferenceCallback { get; set; }

    public Action? OnSupervisedTrained { get; set; }

    /// <summary>Gets the checkpoint folders restored, in order.</summary>
    public ConcurrentQueue<string> Restored { get; } = new();

    /// <summary>Gets or sets whether <see cref="GetService"/> offers the restore capability.</summary>
    public bool CanRestore { get; set; } = true;

    public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        SupervisedRequests.Enqueue(request);
        OnSupervisedTrained?.Invoke();
        return SupervisedCallback?.Invoke(request, progress, cancellationToken) ?? TwoSteps(progress, request.OutputDirectory);
    }

    public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        PreferenceRequests.Enqueue(request);
        return PreferenceCallback?.Invoke(request, progress, cancellationToken) ?? TwoSteps(progress, request.OutputDirectory);
    }

    public Task RestoreAsync(string checkpointDirectory, CancellationToken cancellationToken = default)
    {
        Restored.Enqueue(checkpointDirectory);
        return Task.CompletedTask;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ITrainedStateRestorer) && !CanRestore ? null : serviceType.IsInstanceOfType(this) ? this : null;

    /// <summary>Creates an empty checkpoint folder, as a trainer's last checkpoint, and returns its path.</summary>
    public static string? WriteCheckpoint(string? outputDirectory)
    {
        if (outputDirectory is null)
        {
            return null;
        }

        string folder = Path.Combine(outputDirectory, "checkpoint-2");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static Task<TrainingResult> TwoSteps(IProgress<TrainingProgress>? progress, string? outputDirectory)
    {
        progress?.Report(new TrainingProgress(1, 2, 1.5, 1e-5));
        progress?.Report(new TrainingProgress(2, 2, 1.0, 1e-5));
        return Task.FromResult(new TrainingResult(2, 1.0) { TrainedTokens = 100, CheckpointDirectory = WriteCheckpoint(outputDirectory) });
    }
}
