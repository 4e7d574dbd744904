using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Cuda;

/// <summary>
/// <c>cuda-check</c>: runs Srt's TorchSharp code on real TorchSharp CUDA tensors and compares it with the paths it
/// replaces: a small Llama forward and backward with the fused CUDA kernels on and off (float32 and bfloat16), the
/// fused linear cross-entropy against the plain one, a few supervised trainer steps, and greedy generation on CUDA
/// against the CPU. One JSON line per check with <c>ok</c> and the measured differences; a check that throws is
/// reported as a failed line and the next check still runs. Without CUDA it prints one line saying why and exits 0.
/// </summary>
/// <remarks>
/// Options: <c>--probe</c> (only load CUDA, multiply two matrices and exit 0 when that worked, 3 otherwise),
/// <c>--only name,...</c> (run only the checks whose names start so: llama, fused-ce, fused-logprobs, trainer, memory-steady, generation), <c>--device cpu</c> (run the
/// checks on the CPU instead, to test the checks themselves on a machine without a GPU; the kernel check then fails
/// because no kernel runs).
/// </remarks>
internal sealed class CudaCheckBenchmark : IBenchmark
{
    // NaN or infinite differences must still print (as "NaN"), not throw.
    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static Device? _target;

    public string Name => "cuda-check";

    public string Description => "Srt on TorchSharp CUDA tensors: fused kernels on/off, fused CE, trainer, generation vs CPU";

    public int Run(string[] args, TextWriter output)
    {
        bool probeOnly = args.Contains("--probe");
        int onlyIndex = Array.IndexOf(args, "--only");
        var only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',') : null;

        int deviceIndex = Array.IndexOf(args, "--device");
        bool onCpu = deviceIndex >= 0 && deviceIndex + 1 < args.Length && args[deviceIndex + 1] == "cpu";
        var availability = Availability();
        Emit(output, availability);
        if (availability["cuda"] is not true && !onCpu)
        {
            return probeOnly ? 3 : 0;
        }

        // Touching torch.CUDA initializes the CUDA backend, so only once it is known to be there.
        _target = onCpu ? torch.CPU : CUDA;

        if (probeOnly)
        {
            return RunCheck(output, "probe-matmul", ProbeMatmul) ? 0 : 3;
        }

        int failures = 0;
        foreach (var (name, check) in Checks())
        {
            if (only is not null && !only.Any(o => name.StartsWith(o, StringComparison.Ordinal)))
            {
                continue;
            }

            failures += RunCheck(output, name, check) ? 0 : 1;
        }

        Emit(output, new Dictionary<string, object?> { ["check"] = "summary", ["failed"] = failures, ["ok"] = failures == 0 });
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Gets the device the checks run on: CUDA unless <c>--device</c> says otherwise.</summary>
    internal static Device Target => _target ?? throw new InvalidOperationException("The target device is chosen in Run.");

    /// <summary>Waits for the GPU's queued work, so that a timing covers it.</summary>
    internal static void Synchronize()
    {
        if (Target.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize();
        }
    }

    internal static void Emit(TextWriter output, IReadOnlyDictionary<string, object?> fields)
    {
        var line = new Dictionary<string, object?> { ["bench"] = "cuda-check" };
        foreach (var (key, value) in fields)
        {
            line[key] = value;
        }

        output.WriteLine(JsonSerializer.Serialize(line, JsonOptions));
        output.Flush();
    }

    private static IEnumerable<(string Name, Func<Dictionary<string, object?>> Check)> Checks()
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            yield return ($"llama-fused-kernels-{Dtype(dtype)}", () => CudaModelChecks.LlamaKernelsOnVersusOff(dtype));
        }

        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            yield return ($"fused-ce-{Dtype(dtype)}", () => CudaModelChecks.FusedVersusPlainCrossEntropy(dtype));
            yield return ($"fused-ce-kernel-{Dtype(dtype)}", () => CudaModelChecks.FusedVersusPlainCrossEntropy(dtype, cudaKernel: true));
            yield return ($"fused-logprobs-kernel-{Dtype(dtype)}", () => CudaModelChecks.FusedKernelVersusPlainSequenceLogProbs(dtype));
        }

        yield return ("trainer-sft", CudaRunChecks.SupervisedTrainingLossFalls);
        yield return ("memory-steady", CudaMemorySteadyCheck.Run);
        yield return ("generation-greedy-vs-cpu", CudaRunChecks.GreedyGenerationMatchesCpu);
    }

    internal static string Dtype(ScalarType dtype) => dtype == ScalarType.BFloat16 ? "bfloat16" : "float32";

    /// <summary>Runs one check; an exception becomes a failed line naming it, so one failure never stops the rest.</summary>
    private static bool RunCheck(TextWriter output, string name, Func<Dictionary<string, object?>> check)
    {
        var watch = Stopwatch.StartNew();
        Dictionary<string, object?> result;
        try
        {
            result = check();
        }
        catch (Exception exception)
        {
            result = new Dictionary<string, object?> { ["ok"] = false, ["error"] = $"{exception.GetType().Name}: {exception.Message}" };
            Console.Error.WriteLine($"cuda-check {name} failed: {exception}");
        }

        result["check"] = name;
        result["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
        Emit(output, result);
        return result.TryGetValue("ok", out var ok) && ok is true;
    }

    private static Dictionary<string, object?> Availability()
    {
        var fields = new Dictionary<string, object?> { ["check"] = "availability" };
        try
        {
            bool cuda = torch.cuda.is_available();
            fields["cuda"] = cuda;
            fields["devices"] = cuda ? torch.cuda.device_count() : 0;
            if (!cuda)
            {
                fields["reason"] = "cuda unavailable: torch.cuda.is_available() is false (TorchSharp loaded a libtorch without CUDA, or no GPU)";
            }
        }
        catch (Exception exception)
        {
            fields["cuda"] = false;
            fields["reason"] = $"cuda unavailable: loading TorchSharp's CUDA backend failed: {exception.GetType().Name}: {FirstLine(exception)}";
        }

        fields["srt_kernels"] = CudaKernels.IsAvailable;
        fields["srt_kernels_reason"] = CudaKernels.UnavailableReason;
        return fields;
    }

    private static Dictionary<string, object?> ProbeMatmul()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.ones(256, 256, device: Target);
        float sum = a.mm(a).sum().cpu().item<float>();
        return new Dictionary<string, object?> { ["ok"] = sum == 256f * 256 * 256, ["sum"] = sum };
    }

    private static string FirstLine(Exception exception)
    {
        var inner = exception.InnerException ?? exception;
        return inner.Message.Split('\n')[0];
    }
}
