using System.Diagnostics;
using System.Globalization;

namespace Srt.Benchmarks.Generation;

/// <summary>Runs the PyTorch peer script with the same shapes and threads and passes its JSON lines through.</summary>
internal static class PeerRunner
{
    public static int Run(BenchmarkArguments options, TextWriter output)
    {
        var script = FindScript();
        var start = new ProcessStartInfo(options.PeerPython!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            script, "--size", options.Size, "--threads", options.Threads.ToString(CultureInfo.InvariantCulture),
            "--prompt", options.PromptTokens.ToString(CultureInfo.InvariantCulture),
            "--new", options.NewTokens.ToString(CultureInfo.InvariantCulture),
            "--batches", string.Join(',', options.Batches),
            "--dtypes", string.Join(',', options.DTypes.Select(d => d.ToString().ToLowerInvariant())),
            "--repeats", options.Repeats.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {options.PeerPython}.");
        while (process.StandardOutput.ReadLine() is { } line)
        {
            output.WriteLine(line);
            output.Flush();
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    private static string FindScript()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Srt.sln")))
            {
                return Path.Combine(folder.FullName, "tests", "Srt.Benchmarks", "peers", "generate_peer.py");
            }
        }
        throw new FileNotFoundException("Could not find Srt.sln above the benchmark to locate peers/generate_peer.py.");
    }
}
