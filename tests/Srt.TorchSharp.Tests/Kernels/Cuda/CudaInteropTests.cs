using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>The parts of the CUDA path that run without a GPU: sources, availability probe, NVRTC, tensor addresses.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class CudaInteropTests
{
    [Theory]
    [InlineData("rmsnorm.cu", "SRT_RMSNORM_ENTRIES(bf16, srt_bf16, 8)")]
    [InlineData("rotary.cu", "SRT_ROTARY_ENTRIES(f32, float, 4)")]
    [InlineData("swiglu.cu", "SRT_SWIGLU_ENTRIES(bf16, srt_bf16, 1)")]
    [InlineData("srt_common.cuh", "srt_block_sum")]
    public void KernelSources_AreEmbedded(string file, string expected)
    {
        Assert.Contains(expected, CudaKernelSources.Read(file), StringComparison.Ordinal);
    }

    [Fact]
    public void KernelSources_UnknownFile_ThrowsNamingTheResource()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CudaKernelSources.Read("missing.cu"));
        Assert.Contains("Srt.Kernels.Cuda.missing.cu", error.Message);
    }

    [Fact]
    public void CudaKernels_IsAvailable_AgreesWithReasonAndNeverThrows()
    {
        var available = CudaKernels.IsAvailable;
        Assert.Equal(available, CudaKernels.UnavailableReason.Length == 0);
    }

    [NvrtcFact]
    public void Nvrtc_CompilesEveryKernelProgram()
    {
        var nvrtc = Nvrtc.Require();
        var architecture = nvrtc.SupportedArchitectures.Contains(80) ? 80 : nvrtc.SupportedArchitectures.Max();
        foreach (var program in CudaKernelSources.Programs)
        {
            var cubin = nvrtc.CompileToCubin(program, CudaKernelSources.Read(program), CudaKernelSources.ReadHeaders(), architecture, out _);
            Assert.True(cubin.Length > 1000, $"{program}: {cubin.Length} bytes");
        }
    }

    [NvrtcFact]
    public void Nvrtc_CompileError_ThrowsWithTheCompilerLog()
    {
        var error = Assert.Throws<CudaException>(() => Nvrtc.Require().CompileToCubin(
            "broken.cu", "extern \"C\" __global__ void k() { undefined_name(); }", new Dictionary<string, string>(), 80, out _));
        Assert.Equal("nvrtcCompileProgram", error.Call);
        Assert.Contains("undefined_name", error.Message);
    }

    [Fact]
    public void TensorMemory_Address_IncludesViewOffset()
    {
        using var scope = NewDisposeScope();
        var whole = arange(0, 100, ScalarType.Float32);
        var view = whole.narrow(0, 7, 10);
        Assert.Equal(TensorMemory.Address(whole) + 7 * sizeof(float), TensorMemory.Address(view));
    }
}
