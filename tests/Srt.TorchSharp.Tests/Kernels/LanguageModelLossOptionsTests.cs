using Srt.TorchSharp.Kernels;
using TorchSharp;

namespace Srt.TorchSharp.Tests.Kernels;

public sealed class LanguageModelLossOptionsTests
{
    [Fact]
    public void ResolveChunkRows_Cpu_Keeps64MiBOfLogitsPerChunkWhateverTheRows()
    {
        var options = new LanguageModelLossOptions();
        Assert.Equal(130, options.ResolveChunkRows(128256, 16384, DeviceType.CPU));
        Assert.Equal(524, options.ResolveChunkRows(32000, 16384, DeviceType.CPU));
        Assert.Equal(524, options.ResolveChunkRows(32000, 4096, DeviceType.CPU));
        Assert.Equal(300, options.ResolveChunkRows(32000, 300, DeviceType.CPU));
    }

    [Theory]
    [InlineData(32000, 4096, 512)] // an eighth of the rows (1/8 of 4,096), not the 4,096 the 512 MiB cap would allow
    [InlineData(128256, 4096, 512)]
    [InlineData(32000, 16384, 2048)]
    [InlineData(128256, 16384, 1024)] // capped by 512 MiB (1,046 rows), rounded down to whole 128-row tiles
    [InlineData(32000, 1000, 512)] // at least 64 MiB of logits (524 rows), rounded to tiles
    [InlineData(128256, 1024, 512)] // at least 512 rows
    [InlineData(100, 4096, 4096)] // a small vocabulary: 64 MiB holds every row, one chunk
    [InlineData(2_000_000, 16384, 67)] // the cap is below one tile: nothing is rounded
    public void ResolveChunkRows_Cuda_TakesAnEighthOfTheRowsWithinTheBounds(long vocabulary, long rows, long expected)
    {
        Assert.Equal(expected, new LanguageModelLossOptions().ResolveChunkRows(vocabulary, rows, DeviceType.CUDA));
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
