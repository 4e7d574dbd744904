namespace Srt;

/// <summary>
/// Trains the policy model in place: supervised training on masked sequences (stage 1) and preference
/// training on chosen/rejected pairs (stage 2).
/// </summary>
public interface ITrainer
{
    /// <summary>Trains on sequences whose loss covers only the segments marked as trained.</summary>
    /// <param name="request">The examples and where to write checkpoints and metrics.</param>
    /// <param name="progress">Receives one report per optimizer step; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A summary of the run.</returns>
    Task<TrainingResult> TrainSupervisedAsync(
        SupervisedTrainingRequest request,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default);

    /// <summary>Trains on preference pairs (chosen ≻ rejected for the same prompt).</summary>
    /// <param name="request">The pairs and where to write checkpoints and metrics.</param>
    /// <param name="progress">Receives one report per optimizer step; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A summary of the run.</returns>
    Task<TrainingResult> TrainPreferenceAsync(
        PreferenceTrainingRequest request,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default);

    /// <summary>Asks for an object of the given type that this trainer holds or is.</summary>
    /// <param name="serviceType">The type of object being requested.</param>
    /// <param name="serviceKey">An optional key to identify the object.</param>
    /// <returns>The object, or <see langword="null"/> when this trainer has none.</returns>
    object? GetService(Type serviceType, object? serviceKey = null);
}
