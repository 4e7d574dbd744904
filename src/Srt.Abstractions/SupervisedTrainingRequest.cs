namespace Srt;

/// <summary>A supervised training job.</summary>
/// <param name="Examples">The sequences to train on.</param>
public sealed record SupervisedTrainingRequest(IReadOnlyList<SupervisedExample> Examples)
{
    /// <summary>Gets the folder for checkpoints and metrics, or <see langword="null"/> to keep nothing on disk.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Gets a short name for the job used in logs and file names, such as <c>stage1</c>.</summary>
    public string Name { get; init; } = "sft";
}
