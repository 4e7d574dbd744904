using System.Text.Json;

namespace Srt.Samples.Quickstart;

/// <summary>
/// <c>quickstart.json</c> in the run directory: the settings a run started with. A rerun with other settings would
/// mix two experiments in one folder, so it is refused with a clear message instead.
/// </summary>
internal static class RunSettingsFile
{
    private const string FileName = "quickstart.json";

    public static void Check(string runDirectory, string settingsName, int seed)
    {
        string path = Path.Combine(runDirectory, FileName);
        var current = new Stored(settingsName, seed);
        if (File.Exists(path))
        {
            Stored? stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path));
            if (stored != current)
            {
                throw new InvalidOperationException(
                    $"'{runDirectory}' holds a run with {stored?.Settings} settings and seed {stored?.Seed}, not {settingsName} and seed {seed}. " +
                    "Add --fresh to start over there, or pick another --run-dir.");
            }

            return;
        }

        Directory.CreateDirectory(runDirectory);
        File.WriteAllText(path, JsonSerializer.Serialize(current));
    }

    private sealed record Stored(string Settings, int Seed);
}
