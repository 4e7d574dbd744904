namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>A fact that compiles C++ with g++ (C++20): skipped, saying why, where no g++ is on the PATH.</summary>
public sealed class CxxFactAttribute : FactAttribute
{
    public CxxFactAttribute()
    {
        if (FindCompiler() is null)
        {
            Skip = "Needs g++ with C++20 on the PATH to run a CUDA kernel under tests/Srt.TorchSharp.GpuSelfTest/Emulation.";
        }
    }

    /// <summary>Gets the full path of g++, or null.</summary>
    public static string? FindCompiler() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "g++"))
            .FirstOrDefault(File.Exists);
}
