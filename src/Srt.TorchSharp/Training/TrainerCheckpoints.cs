using System.Globalization;

namespace Srt.TorchSharp.Training;

/// <summary>
/// Checkpoint folders <c>checkpoint-{step}</c> in the output directory. Each is written complete into a hidden
/// temporary folder and then renamed into place, so a crash mid-write never leaves a partial checkpoint that a
/// resume could pick up; older ones are pruned only after the new one exists.
/// </summary>
internal static class TrainerCheckpoints
{
    public const string Prefix = "checkpoint-";

    public const string OptimizerFileName = "optimizer.safetensors";

    public static string Write(string outputDirectory, TrainerState state, Action<string> writeTensors, int keep)
    {
        Directory.CreateDirectory(outputDirectory);
        string final = Path.Combine(outputDirectory, Prefix + state.GlobalStep.ToString(CultureInfo.InvariantCulture));
        string temporary = Path.Combine(outputDirectory, $".{Prefix}{state.GlobalStep}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            writeTensors(temporary);
            state.Write(temporary);
            if (Directory.Exists(final))
            {
                // The same step written again (a rerun of a finished run): move the old one aside first.
                string stale = final + $".old-{Guid.NewGuid():N}";
                Directory.Move(final, stale);
                Directory.Move(temporary, final);
                Directory.Delete(stale, recursive: true);
            }
            else
            {
                Directory.Move(temporary, final);
            }
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        foreach (var old in List(outputDirectory, state.Kind, state.Name).SkipLast(keep))
        {
            if (!string.Equals(old.Path, final, StringComparison.Ordinal))
            {
                TryDelete(old.Path);
            }
        }
        return final;
    }

    /// <summary>The complete checkpoints of this kind and name, oldest first.</summary>
    public static IReadOnlyList<(string Path, TrainerState State)> List(string outputDirectory, string kind, string name)
    {
        if (!Directory.Exists(outputDirectory))
        {
            return [];
        }
        var found = new List<(string, TrainerState)>();
        foreach (var folder in Directory.EnumerateDirectories(outputDirectory, Prefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(folder)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }
            if (TrainerState.TryRead(folder) is { } state && state.Kind == kind && state.Name == name)
            {
                found.Add((folder, state));
            }
        }
        return found.OrderBy(f => f.Item2.GlobalStep).ToList();
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Leftovers are harmless: temporary folders are hidden and never resumed from.
        }
    }
}
