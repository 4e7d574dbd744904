using System.Diagnostics;
using System.Globalization;
using Srt.TorchSharp.GpuSelfTest;
using Srt.TorchSharp.Kernels.Cuda;

// GPU self-test of Srt's fused CUDA kernels. Exit codes: 0 every check passed, 1 a check failed, 2 no usable
// CUDA (driver, NVRTC or device missing) or bad arguments.
//   --out FILE        also write the JSON lines to FILE
//   --quick           skip the Llama-7B-sized (timed) cases
//   --reps N          timed repetitions per kernel (median reported; default 25)
//   --llama-only      only the Llama-7B-sized (timed) cases, e.g. under a profiler
//   --compile-only N  only compile every kernel with NVRTC for sm_N (no driver or GPU needed), print ptxas's
//                     register and spill report, and exit
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string? outPath = null;
var quick = false;
var llamaOnly = false;
var repetitions = 25;
int? compileOnly = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length: outPath = args[++i]; break;
        case "--quick": quick = true; break;
        case "--llama-only": llamaOnly = true; break;
        case "--reps" when i + 1 < args.Length: repetitions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--compile-only" when i + 1 < args.Length: compileOnly = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Use --out FILE, --quick, --llama-only, --reps N, --compile-only SM.");
            return 2;
    }
}

if (compileOnly is { } architecture)
{
    return CompileOnly(architecture);
}

if (!CudaKernels.IsAvailable)
{
    Console.Error.WriteLine("GPU self-test cannot run: " + CudaKernels.UnavailableReason);
    return 2;
}

using var file = outPath is null ? null : new StreamWriter(outPath);
var device = CudaDevice.Get(0);
var context = new SelfTestContext(device, file, repetitions);
var nvrtc = Nvrtc.Require();
var compileWatch = Stopwatch.StartNew();
try
{
    device.LoadAll();
}
catch (CudaException exception)
{
    Console.Error.WriteLine("Kernel compilation or loading failed: " + exception.Message);
    return 1;
}

context.WriteJson(new Dictionary<string, object?>
{
    ["event"] = "device", ["name"] = device.Name, ["compute_capability"] = $"{device.Major}.{device.Minor}",
    ["multiprocessors"] = device.MultiprocessorCount, ["l2_bytes"] = device.L2CacheBytes,
    ["driver_version"] = device.Driver.DriverVersion, ["driver_library"] = device.Driver.LibraryName,
    ["nvrtc_version"] = nvrtc.Version, ["nvrtc_library"] = nvrtc.LibraryName,
    ["compiled_for"] = "sm_" + CudaKernelCompiler.ChooseArchitecture(device.Major, device.Minor),
    ["compile_and_load_ms"] = compileWatch.Elapsed.TotalMilliseconds,
});
context.MeasureCopy();

foreach (var type in new[] { KernelElementType.Float32, KernelElementType.BFloat16 })
{
    if (!llamaOnly)
    {
        // Odd sizes: not multiples of the block or the vector width, tails, misaligned (offset) pointers, rows too long
        // for the register path (shared memory over 48 KB), head counts not a multiple of the heads per thread.
        RmsNormCheck.Run(context, type, 3, 4097, 0, false);
        RmsNormCheck.Run(context, type, 5, 1000, 0, false);
        RmsNormCheck.Run(context, type, 4, 4096, 1, false);
        RmsNormCheck.Run(context, type, 6, 16384, 0, false);
        RmsNormCheck.Run(context, type, 2, 20001, 0, false);
        RmsNormCheck.Run(context, type, 3, 20000, 0, false);
        RmsNormCheck.Run(context, type, 1, 8, 0, false);
        RmsNormCheck.Run(context, type, 5, 4097, 0, false, rowsPerStep: 1);
        RmsNormCheck.Run(context, type, 5, 4097, 0, false, rowsPerStep: 2);
        RmsNormCheck.Run(context, type, 7, 4096, 0, false, rowsPerStep: 1);
        RmsNormCheck.Run(context, type, 7, 4096, 0, false, rowsPerStep: 2);
        RotaryCheck.Run(context, type, 1, 3, 5, 128, false, 0, false);
        RotaryCheck.Run(context, type, 2, 4, 37, 64, true, 0, false);
        RotaryCheck.Run(context, type, 1, 2, 7, 6, false, 0, false);
        RotaryCheck.Run(context, type, 1, 3, 9, 128, false, 1, false);
        RotaryCheck.Run(context, type, 3, 10, 4, 32, false, 0, false);
        RotaryCheck.Run(context, type, 2, 12, 5, 64, true, 0, false);
        SwiGluCheck.Run(context, type, 3, 4097, 0, false);
        SwiGluCheck.Run(context, type, 1, 7, 0, false);
        SwiGluCheck.Run(context, type, 3, 4097, 1, false);
        CrossEntropyCheck.Run(context, type, 3, 37, false, 0, false);
        CrossEntropyCheck.Run(context, type, 5, 32000, true, 0, false);
        CrossEntropyCheck.Run(context, type, 4, 1000, false, 1, false);
        CrossEntropyCheck.Run(context, type, 2, 128256, true, 0, false);
        CrossEntropyCheck.Run(context, type, 1, 8, true, 0, false);
        CrossEntropyCheck.Run(context, type, 70, 4099, false, 0, false);
    }

    if (!quick)
    {
        // Llama-7B sizes, 8192 tokens: hidden 4096, intermediate 11008, 32 heads x 128; checked and timed.
        // The launcher's default, then the other backward variant for comparison (rows per step, rmsnorm.cu).
        RmsNormCheck.Run(context, type, 8192, 4096, 0, true);
        RmsNormCheck.Run(context, type, 8192, 4096, 0, true, rowsPerStep: type == KernelElementType.BFloat16 ? 1 : 2);
        RotaryCheck.Run(context, type, 1, 32, 8192, 128, false, 0, true);
        SwiGluCheck.Run(context, type, 8192, 11008, 0, true);

        // The fused cross-entropy's chunks at the CUDA default (512 rows at 4,096 tokens) and its 1,024-row cap at 128K.
        CrossEntropyCheck.Run(context, type, 512, 32000, false, 0, true);
        CrossEntropyCheck.Run(context, type, 1024, 128256, false, 0, true);
    }
}

PrintTable(context);
var failed = context.Results.Count(r => !r.Passed);
Console.WriteLine(failed == 0
    ? $"ALL {context.Results.Count} CHECKS PASSED"
    : $"{failed} OF {context.Results.Count} CHECKS FAILED");
return failed == 0 ? 0 : 1;

static int CompileOnly(int architecture)
{
    if (Nvrtc.Shared is not { } nvrtc)
    {
        Console.Error.WriteLine("NVRTC is not usable: " + Nvrtc.LoadFailure);
        return 2;
    }

    Console.WriteLine($"NVRTC {nvrtc.Version} ({nvrtc.LibraryName}); supports sm_{string.Join(", sm_", nvrtc.SupportedArchitectures)}");
    var failures = 0;
    foreach (var program in CudaKernelSources.Programs)
    {
        try
        {
            var watch = Stopwatch.StartNew();
            var cubin = nvrtc.CompileToCubin(program, CudaKernelSources.Read(program), CudaKernelSources.ReadHeaders(), architecture, out var log, "--ptxas-options=-v");
            Console.WriteLine($"{program}: sm_{architecture} cubin {cubin.Length} bytes in {watch.ElapsedMilliseconds} ms{(log.Length > 0 ? Environment.NewLine + log : string.Empty)}");
        }
        catch (CudaException exception)
        {
            failures++;
            Console.Error.WriteLine(exception.Message);
        }
    }

    return failures == 0 ? 0 : 1;
}

static void PrintTable(SelfTestContext context)
{
    Console.WriteLine();
    Console.WriteLine($"copy (cuMemcpyDtoD, 1 GiB, read+write): {context.CopyGigabytesPerSecond:F0} GB/s");
    Console.WriteLine($"{"kernel",-12} {"dtype",-5} {"shape",-26} {"output",-6} {"rel_err",10} {"limit",7} {"ok",-4} {"us",9} {"GB/s",7} {"%copy",6} {"1x us",8}");
    foreach (var r in context.Results)
    {
        var timing = r.MedianMicroseconds is { } us
            ? $"{us,9:F1} {r.GigabytesPerSecond,7:F0} {r.PercentOfCopy,6:F1} {r.SingleLaunchMicroseconds,8:F1}"
            : $"{"",9} {"",7} {"",6}";
        Console.WriteLine($"{r.Kernel,-12} {r.DType,-5} {r.Shape,-26} {r.Output,-6} {r.RelativeError,10:E2} {r.Threshold,7:E0} {(r.Passed ? "ok" : "FAIL"),-4} {timing}");
        if (r.Error is not null)
        {
            Console.WriteLine("    " + r.Error);
        }
    }
}
