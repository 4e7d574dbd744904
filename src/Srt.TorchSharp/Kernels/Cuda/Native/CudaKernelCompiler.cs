using System.Collections.Concurrent;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// Compiles the embedded kernel programs with NVRTC, once per program and GPU architecture per process
/// (an in-memory cache of cubins; modules are loaded per device context by <see cref="CudaDevice"/>).
/// </summary>
internal static class CudaKernelCompiler
{
    private static readonly ConcurrentDictionary<(string Program, int Architecture), Lazy<byte[]>> Cubins = new();

    /// <summary>Returns the cubin of <paramref name="program"/> for <c>sm_{architecture}</c>, compiling it on first use.</summary>
    public static byte[] GetCubin(string program, int architecture) =>
        Cubins.GetOrAdd((program, architecture), key => new Lazy<byte[]>(() => Compile(key.Program, key.Architecture))).Value;

    /// <summary>
    /// Picks the architecture to compile for: the device's own if NVRTC knows it, else the newest NVRTC knows with
    /// the same major version (cubins run on later minor versions of one major version), else a clear error.
    /// </summary>
    public static int ChooseArchitecture(int major, int minor)
    {
        var device = major * 10 + minor;
        var supported = Nvrtc.Require().SupportedArchitectures;
        if (supported.Contains(device))
        {
            return device;
        }

        var sameMajor = supported.Where(arch => arch / 10 == major && arch <= device).ToList();
        if (sameMajor.Count > 0)
        {
            return sameMajor.Max();
        }

        throw new NotSupportedException(
            $"NVRTC {Nvrtc.Require().Version} ({Nvrtc.Require().LibraryName}) cannot generate code for sm_{device}; " +
            $"it supports sm_{string.Join(", sm_", supported)}. Use a newer CUDA toolkit's NVRTC.");
    }

    private static byte[] Compile(string program, int architecture) =>
        Nvrtc.Require().CompileToCubin(program, CudaKernelSources.Read(program), CudaKernelSources.ReadHeaders(),
            architecture, out _);
}
