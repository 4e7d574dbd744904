namespace Srt.TorchSharp.Training;

/// <summary>
/// Thrown before the first training step when the <see cref="TrainingMemoryPlan"/> says the run's peak does not fit in
/// the memory available. Nothing has been written to the output directory and the model is unchanged.
/// </summary>
public sealed class TrainingMemoryException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What does not fit and the options that would make it fit.</param>
    /// <param name="plan">The plan that did not fit.</param>
    /// <param name="availableBytes">The memory it was compared with.</param>
    public TrainingMemoryException(string message, TrainingMemoryPlan plan, long availableBytes)
        : base(message)
    {
        Plan = plan;
        AvailableBytes = availableBytes;
    }

    /// <summary>Gets the plan that did not fit.</summary>
    public TrainingMemoryPlan Plan { get; }

    /// <summary>Gets the memory, in bytes, that the plan's additional need was compared with.</summary>
    public long AvailableBytes { get; }
}
