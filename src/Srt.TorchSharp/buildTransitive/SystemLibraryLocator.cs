// Compiled by MSBuild's RoslynCodeTaskFactory (see Srt.TorchSharp.targets) against .NET Standard 2.0, and into
// Srt.TorchSharp.Tests with SRT_ELF_PATCHER_TESTS defined, which leaves out the MSBuild task class. Hence
// netstandard2.0 APIs only, explicit usings and `#nullable enable`.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Srt.TorchSharp.Build;

/// <summary>Finds a shared library where the dynamic loader looks: the ld.so.conf directories, then the default ones.</summary>
internal static class SystemLibraryLocator
{
    private static readonly string[] DefaultDirectories =
    [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    ];

    /// <summary>Every existing copy of <paramref name="fileName"/> in the loader's search directories, without duplicates.</summary>
    public static IReadOnlyList<string> Find(string fileName, string configFile = "/etc/ld.so.conf")
    {
        var directories = new List<string>();
        ReadLoaderConfig(configFile, directories, depth: 0);
        directories.AddRange(DefaultDirectories);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return directories.Select(d => Path.Combine(d, fileName)).Where(f => File.Exists(f) && seen.Add(Path.GetFullPath(f))).ToList();
    }

    private static void ReadLoaderConfig(string configFile, List<string> directories, int depth)
    {
        string[] lines;
        try
        {
            lines = depth > 8 || !File.Exists(configFile) ? [] : File.ReadAllLines(configFile);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            return;
        }
        foreach (string line in lines.Select(l => l.Split('#')[0].Trim()))
        {
            if (line.StartsWith("include ", StringComparison.Ordinal))
            {
                // "include /etc/ld.so.conf.d/*.conf": a glob in the file name only, which is all ld.so.conf uses.
                string pattern = line.Substring("include ".Length).Trim();
                string directory = Path.GetDirectoryName(pattern) ?? "/";
                var included = Directory.Exists(directory) ? Directory.GetFiles(directory, Path.GetFileName(pattern)) : [];
                foreach (string file in included.OrderBy(f => f, StringComparer.Ordinal))
                {
                    ReadLoaderConfig(file, directories, depth + 1);
                }
            }
            else if (line.StartsWith("/", StringComparison.Ordinal))
            {
                directories.Add(line);
            }
        }
    }
}

#if !SRT_ELF_PATCHER_TESTS
/// <summary>MSBuild task: every copy of a shared library in the dynamic loader's search directories.</summary>
public sealed class SrtFindSystemLibrary : Microsoft.Build.Utilities.Task
{
    /// <summary>The library's file name, e.g. <c>libstdc++.so.6</c>.</summary>
    [Microsoft.Build.Framework.Required]
    public string FileName { get; set; } = string.Empty;

    /// <summary>The copies found, in search order; empty when there is none.</summary>
    [Microsoft.Build.Framework.Output]
    public Microsoft.Build.Framework.ITaskItem[] Paths { get; private set; } = [];

    public override bool Execute()
    {
        Paths = SystemLibraryLocator.Find(FileName).Select(p => (Microsoft.Build.Framework.ITaskItem)new Microsoft.Build.Utilities.TaskItem(p)).ToArray();
        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"Srt: {FileName} found at: {string.Join(", ", Paths.Select(p => p.ItemSpec))}");
        return true;
    }
}
#endif
