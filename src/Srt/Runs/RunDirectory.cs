namespace Srt;

/// <summary>
/// The layout of a run directory: <c>run.json</c> at the top, one folder per stage with JSONL files keyed by item id.
/// See docs/run-directory.md for what each file holds and how a rerun resumes from them.
/// </summary>
internal sealed class RunDirectory
{
    public RunDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string ManifestPath => Path.Combine(Root, "run.json");

    public string StageOne => Path.Combine(Root, "stage1");

    public string StageTwo => Path.Combine(Root, "stage2");

    public static string TrainingFolderName => "training";

    public static string TrainingMarkerName => "training.done.json";

    /// <summary>Creates the folder and records the settings of this start, keeping the creation time of an earlier one.</summary>
    public void WriteManifest(SelfRefinementOptions options)
    {
        Directory.CreateDirectory(Root);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        RunManifest? previous = RunJson.ReadDocument<RunManifest>(ManifestPath);
        RunJson.WriteDocument(ManifestPath, new RunManifest(RunManifest.CurrentFormatVersion, previous?.CreatedAt ?? now, now, options));
    }
}
