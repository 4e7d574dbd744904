namespace Srt;

/// <summary>
/// One run directory, as the loop uses it: its root and the folders of its stages and rounds, as
/// <see cref="RunLayout"/> names them.
/// </summary>
internal sealed class RunDirectory
{
    public RunDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string ManifestPath => RunLayout.ManifestPath(Root);

    public string StageOne => RunLayout.StageFolder(Root, 1);

    public string StageTwo => RunLayout.StageFolder(Root, 2);

    public string Round(int round) => RunLayout.RoundFolder(Root, round);

    /// <summary>Creates the folder and records the settings of this start, keeping the creation time of an earlier one.</summary>
    public void WriteManifest(SelfRefinementOptions options)
    {
        Directory.CreateDirectory(Root);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        RunManifest? previous = RunJson.ReadDocument<RunManifest>(ManifestPath);
        RunJson.WriteDocument(ManifestPath, new RunManifest(RunManifest.CurrentFormatVersion, previous?.CreatedAt ?? now, now, options));
    }
}
