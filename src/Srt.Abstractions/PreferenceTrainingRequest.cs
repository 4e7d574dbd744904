namespace Srt;

/// <summary>A preference training job.</summary>
/// <param name="Pairs">The preference pairs to train on.</param>
public sealed record PreferenceTrainingRequest(IReadOnlyList<PreferencePair> Pairs)
{
    /// <summary>Gets the folder for checkpoints, metrics and cached reference log-probabilities, or <see langword="null"/>.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Gets a short name for the job used in logs and file names, such as <c>stage2</c>.</summary>
    public string Name { get; init; } = "dpo";
}
