using Srt.TorchSharp.Kernels;
using TorchSharp;

namespace Srt.TorchSharp.Tests.Kernels;

public sealed class LanguageModelLossOptionsTests
{
    [Fact]
    public void ResolveChunkRows_DefaultBudgets_CpuKeeps64MiBAndCudaUses512MiBInWholeTiles()
    {
        var options = new LanguageModelLossOptions();
        Assert.Equal(130, options.ResolveChunkRows(128256, 16384, DeviceType.CPU));
        Assert.Equal(524, options.ResolveChunkRows(32000, 16384, DeviceType.CPU));
        Assert.Equal(1024, options.ResolveChunkRows(128256, 16384, DeviceType.CUDA));
        Assert.Equal(4096, options.ResolveChunkRows(32000, 16384, DeviceType.CUDA));
        Assert.Equal(1000, options.ResolveChunkRows(32000, 1000, DeviceType.CUDA));

        // Below one tile nothing is rounded: a 2M vocabulary gets 67 rows.
        Assert.Equal(67, options.ResolveChunkRows(2_000_000, 16384, DeviceType.CUDA));
    }

    [Fact]
    public void ResolveChunkRows_ExplicitChunkRows_WinsOnEveryDevice()
    {
        var options = new LanguageModelLossOptions { ChunkRows = 7 };
        Assert.Equal(7, options.ResolveChunkRows(128256, 100, DeviceType.CUDA));
        Assert.Equal(7, options.ResolveChunkRows(128256, 100, DeviceType.CPU));
    }

    [Fact]
    public void Validate_NonPositiveCudaBudget_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new LanguageModelLossOptions { CudaMaxChunkLogitsBytes = 0 }.Validate());
        Assert.Equal(nameof(LanguageModelLossOptions.CudaMaxChunkLogitsBytes), error.ParamName);
    }
}
