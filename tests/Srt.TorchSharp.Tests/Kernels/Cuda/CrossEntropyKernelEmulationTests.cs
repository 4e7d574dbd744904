using System.Diagnostics;
using System.Text.Json;
using Srt.TorchSharp.Tests.Natives;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>
/// cross_entropy.cu, compiled for the CPU under tests/Srt.TorchSharp.GpuSelfTest/Emulation/cuda_emulation.h (one
/// thread per CUDA thread, real barriers and shuffles) and checked against float64 there: the kernel's arithmetic and
/// control flow, in both element types, vectorized, scalar and misaligned, with no GPU.
/// </summary>
public sealed class CrossEntropyKernelEmulationTests
{
    [CxxFact]
    public void CrossEntropyKernel_UnderCpuEmulation_MatchesFloat64()
    {
        var root = NativesTestEnvironment.RepositoryRoot;
        var emulation = Path.Combine(root, "tests", "Srt.TorchSharp.GpuSelfTest", "Emulation");
        var output = Path.Combine(Path.GetTempPath(), "srt-ce-emulation-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, text) = Run("bash", Path.Combine(emulation, "run.sh"), output);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
            var checks = lines.Where(line => line.TryGetProperty("kernel", out _)).ToList();
            var failed = checks.Where(line => !line.GetProperty("ok").GetBoolean()).Select(line => line.ToString()).ToList();

            Assert.True(failed.Count == 0, "failed:\n" + string.Join('\n', failed));
            Assert.Equal(0, exitCode);
            Assert.Equal(2 * 7 * 4, checks.Count); // 2 element types x 7 shapes x (loss-only nll, untouched logits, nll, gradient)
            Assert.Contains(checks, line => line.GetProperty("vector_width").GetInt32() == 8);
            Assert.Contains(checks, line => line.GetProperty("vector_width").GetInt32() == 1 && line.GetProperty("offset").GetInt32() == 1);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var standardError = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode is 0 or 1, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {standardError.Result}");
        return (process.ExitCode, text);
    }
}
