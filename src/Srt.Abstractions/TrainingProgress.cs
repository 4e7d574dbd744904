namespace Srt;

/// <summary>What a trainer reports after each optimizer step.</summary>
/// <param name="Step">The optimizer step just finished, starting at 1.</param>
/// <param name="TotalSteps">The number of optimizer steps the job will take.</param>
/// <param name="Loss">The mean loss of the step.</param>
/// <param name="LearningRate">The learning rate used for the step.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate)
{
    /// <summary>Gets the epoch the step belongs to, starting at 0; fractional within an epoch.</summary>
    public double Epoch { get; init; }

    /// <summary>Gets the gradient norm before clipping, when computed.</summary>
    public double? GradientNorm { get; init; }

    /// <summary>Gets the training throughput of the step in tokens per second, when measured.</summary>
    public double? TokensPerSecond { get; init; }

    /// <summary>Gets further metrics by name, such as <c>rewards/chosen</c>, <c>rewards/margin</c> or <c>rewards/accuracy</c> for DPO.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}
