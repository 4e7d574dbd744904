namespace Srt;

/// <summary>A summary of a finished training job.</summary>
/// <param name="Steps">The number of optimizer steps taken.</param>
/// <param name="FinalLoss">The mean loss of the last step, or <see cref="double.NaN"/> when no step ran.</param>
public sealed record TrainingResult(int Steps, double FinalLoss)
{
    /// <summary>Gets the number of training tokens that carried loss.</summary>
    public long TrainedTokens { get; init; }

    /// <summary>Gets the folder of the last checkpoint written, when one was.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Gets the number of examples dropped or cut because they did not fit the maximum length.</summary>
    public int TruncatedExamples { get; init; }
}
