using System.Diagnostics;
using System.Text;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>Runs the dotnet CLI as a child process with a clean build environment and a hard timeout.</summary>
internal static class DotnetCli
{
    /// <summary>The exit code and the combined stdout/stderr of one command.</summary>
    public sealed record Result(int ExitCode, string Output);

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>; kills the process tree on timeout.</summary>
    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The test host runs under `dotnet test`, whose MSBuild variables would point the child at the wrong SDK
        // state; a NUGET_PACKAGES override would beat the temp nuget.config. Build servers are disabled so no
        // compiler or MSBuild node outlives the test.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "NUGET_PACKAGES").ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Result(-1, $"Timed out after {timeout}: dotnet {string.Join(' ', arguments)}\n{Text(output)}");
        }
        process.WaitForExit(); // drains the asynchronous output readers
        return new Result(process.ExitCode, Text(output));
    }

    /// <summary>Asserts the command succeeded, showing its output otherwise.</summary>
    public static string Succeed(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var result = Run(workingDirectory, timeout, arguments);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {result.ExitCode}:\n{result.Output}");
        return result.Output;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
