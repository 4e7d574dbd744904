using System.Reflection;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// The CUDA C sources of the fused kernels, embedded in the assembly under the logical names
/// <c>Srt.Kernels.Cuda.{file}</c> (the project file sets them, so any assembly that embeds the same files finds them).
/// </summary>
internal static class CudaKernelSources
{
    public const string RmsNorm = "rmsnorm.cu";
    public const string Rotary = "rotary.cu";
    public const string SwiGlu = "swiglu.cu";
    public const string CrossEntropy = "cross_entropy.cu";

    /// <summary>Headers every program may include.</summary>
    public static readonly IReadOnlyList<string> Headers = new[] { "srt_common.cuh" };

    /// <summary>All compilable programs.</summary>
    public static readonly IReadOnlyList<string> Programs = new[] { RmsNorm, Rotary, SwiGlu, CrossEntropy };

    private const string Prefix = "Srt.Kernels.Cuda.";

    /// <summary>Reads one embedded source file.</summary>
    public static string Read(string fileName)
    {
        var assembly = typeof(CudaKernelSources).Assembly;
        using var stream = assembly.GetManifestResourceStream(Prefix + fileName)
            ?? throw new InvalidOperationException(
                $"Kernel source '{fileName}' is not embedded in {assembly.GetName().Name} (expected resource '{Prefix}{fileName}').");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Reads every header, keyed by the name used in <c>#include</c>.</summary>
    public static IReadOnlyDictionary<string, string> ReadHeaders() =>
        Headers.ToDictionary(name => name, Read, StringComparer.Ordinal);
}
