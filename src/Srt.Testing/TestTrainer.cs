namespace Srt.Testing;

/// <summary>
/// An <see cref="ITrainer"/> for tests, and the <see cref="ITrainedStateRestorer"/> it offers through
/// <see cref="GetService"/>: settable callbacks decide what training and restoring do, and it records every request
/// and every restore in arrival order.
/// </summary>
/// <remarks>
/// By default, each training job reports two steps (loss 1.5 then 1.0, learning rate 1e-5), creates an empty
/// <c>checkpoint-2</c> folder in the request's output directory, as a real trainer leaves its last checkpoint, and
/// returns that summary (see <see cref="DefaultTrainAsync"/>); a restore only records the folder. To test a trainer
/// that cannot restore, set <see cref="GetServiceCallback"/> to return <see langword="null"/> for
/// <see cref="ITrainedStateRestorer"/>.
/// </remarks>
public sealed class TestTrainer : ITrainer, ITrainedStateRestorer
{
    /// <summary>The name of the checkpoint folder the default training writes.</summary>
    public const string DefaultCheckpointName = "checkpoint-2";

    /// <summary>Initializes a new instance of the <see cref="TestTrainer"/> class.</summary>
    public TestTrainer()
    {
        TrainSupervisedAsyncCallback = (request, progress, _) => DefaultTrainAsync(request.OutputDirectory, progress);
        TrainPreferenceAsyncCallback = (request, progress, _) => DefaultTrainAsync(request.OutputDirectory, progress);
        RestoreAsyncCallback = (_, _) => Task.CompletedTask;
        GetServiceCallback = DefaultGetServiceCallback;
    }

    /// <summary>Gets or sets what <see cref="TrainSupervisedAsync"/> does.</summary>
    /// <value>The default runs <see cref="DefaultTrainAsync"/> on the request's output directory.</value>
    public Func<SupervisedTrainingRequest, IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>> TrainSupervisedAsyncCallback { get; set; }

    /// <summary>Gets or sets what <see cref="TrainPreferenceAsync"/> does.</summary>
    /// <value>The default runs <see cref="DefaultTrainAsync"/> on the request's output directory.</value>
    public Func<PreferenceTrainingRequest, IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>> TrainPreferenceAsyncCallback { get; set; }

    /// <summary>Gets or sets what <see cref="RestoreAsync"/> does after recording the folder.</summary>
    /// <value>The default does nothing more.</value>
    public Func<string, CancellationToken, Task> RestoreAsyncCallback { get; set; }

    /// <summary>Gets or sets what <see cref="GetService"/> returns.</summary>
    /// <value>The default returns this trainer when asked, without a key, for a type it is (including
    /// <see cref="ITrainedStateRestorer"/>); otherwise <see langword="null"/>.</value>
    public Func<Type, object?, object?> GetServiceCallback { get; set; }

    /// <summary>Gets every supervised training request, in arrival order, recorded before the callback runs.</summary>
    public RecordedCalls<SupervisedTrainingRequest> SupervisedRequests { get; } = new();

    /// <summary>Gets every preference training request, in arrival order, recorded before the callback runs.</summary>
    public RecordedCalls<PreferenceTrainingRequest> PreferenceRequests { get; } = new();

    /// <summary>Gets the checkpoint folders restored, in arrival order.</summary>
    public RecordedCalls<string> Restored { get; } = new();

    /// <summary>
    /// Does what the default callbacks do: reports two steps (loss 1.5 then 1.0, learning rate 1e-5) and, when there
    /// is an output directory, creates an empty <see cref="DefaultCheckpointName"/> folder in it.
    /// </summary>
    /// <param name="outputDirectory">The request's output directory, or <see langword="null"/> to write nothing.</param>
    /// <param name="progress">Receives the two step reports; may be <see langword="null"/>.</param>
    /// <returns>Two steps, final loss 1.0, 100 trained tokens and the checkpoint folder, when one was created.</returns>
    public static Task<TrainingResult> DefaultTrainAsync(string? outputDirectory, IProgress<TrainingProgress>? progress)
    {
        progress?.Report(new TrainingProgress(1, 2, 1.5, 1e-5));
        progress?.Report(new TrainingProgress(2, 2, 1.0, 1e-5));
        string? checkpoint = null;
        if (outputDirectory is not null)
        {
            checkpoint = Path.Combine(outputDirectory, DefaultCheckpointName);
            Directory.CreateDirectory(checkpoint);
        }

        return Task.FromResult(new TrainingResult(2, 1.0) { TrainedTokens = 100, CheckpointDirectory = checkpoint });
    }

    /// <inheritdoc/>
    public Task<TrainingResult> TrainSupervisedAsync(
        SupervisedTrainingRequest request,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        SupervisedRequests.Add(request);
        return TrainSupervisedAsyncCallback(request, progress, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<TrainingResult> TrainPreferenceAsync(
        PreferenceTrainingRequest request,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        PreferenceRequests.Add(request);
        return TrainPreferenceAsyncCallback(request, progress, cancellationToken);
    }

    /// <inheritdoc/>
    public Task RestoreAsync(string checkpointDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpointDirectory);
        Restored.Add(checkpointDirectory);
        return RestoreAsyncCallback(checkpointDirectory, cancellationToken);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return GetServiceCallback(serviceType, serviceKey);
    }

    private TestTrainer? DefaultGetServiceCallback(Type serviceType, object? serviceKey) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
