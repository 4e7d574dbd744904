namespace Srt;

/// <summary>The content of <c>run.json</c>: when the run started and the settings of its latest start (no secrets: the options hold none).</summary>
internal sealed record RunManifest(int FormatVersion, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, SelfRefinementOptions Options)
{
    public const int CurrentFormatVersion = 1;
}
