using System.Collections.Concurrent;

namespace Srt.Tests.TestDoubles;

/// <summary>An <see cref="ITrainer"/> that records its requests; settable callbacks decide the results.</summary>
internal sealed class RecordingTrainer : ITrainer
{
    public ConcurrentQueue<SupervisedTrainingRequest> SupervisedRequests { get; } = new();

    public ConcurrentQueue<PreferenceTrainingRequest> PreferenceRequests { get; } = new();

    /// <summary>Gets or sets what supervised training does; the default reports two steps and returns their summary.</summary>
    public Func<SupervisedTrainingRequest, IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>>? SupervisedCallback { get; set; }

    /// <summary>Gets or sets what preference training does; the default reports two steps and returns their summary.</summary>
    public Func<PreferenceTrainingRequest, IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>>? PreferenceCallback { get; set; }

    public Action? OnSupervisedTrained { get; set; }

    public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        SupervisedRequests.Enqueue(request);
        OnSupervisedTrained?.Invoke();
        return SupervisedCallback?.Invoke(request, progress, cancellationToken) ?? TwoSteps(progress);
    }

    public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        PreferenceRequests.Enqueue(request);
        return PreferenceCallback?.Invoke(request, progress, cancellationToken) ?? TwoSteps(progress);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    private static Task<TrainingResult> TwoSteps(IProgress<TrainingProgress>? progress)
    {
        progress?.Report(new TrainingProgress(1, 2, 1.5, 1e-5));
        progress?.Report(new TrainingProgress(2, 2, 1.0, 1e-5));
        return Task.FromResult(new TrainingResult(2, 1.0) { TrainedTokens = 100 });
    }
}
