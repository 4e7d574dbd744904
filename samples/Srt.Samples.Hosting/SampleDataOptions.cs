namespace Srt.Samples.Hosting;

/// <summary>Where the sample's instructions come from (<c>Srt:Data</c>); files are instruction JSONL, see docs/evaluation.md.</summary>
public sealed class SampleDataOptions
{
    /// <summary>Gets or sets the stage-1 instructions file; <see langword="null"/> uses 8 built-in instructions.</summary>
    public string? StageOne { get; set; }

    /// <summary>Gets or sets the stage-2 instructions file; <see langword="null"/> uses 8 built-in instructions.</summary>
    public string? StageTwo { get; set; }
}
