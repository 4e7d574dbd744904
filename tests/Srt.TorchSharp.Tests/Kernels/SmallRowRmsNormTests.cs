using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

/// <summary>The small-row RMSNorm against a float64 reference written with libtorch operations
/// (<c>w · x / √(mean(x²) + ε)</c>), row independence, and the inputs it must leave to libtorch.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SmallRowRmsNormTests
{
    // Relative error of a float32 normalisation: a few roundings of ~1e-7 each.
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(1, 1, 1e-6)]
    [InlineData(3, 7, 1e-5)]
    [InlineData(8, 384, 1e-6)]
    [InlineData(16, 1001, 1e-5)]
    public void TryNormalize_Rows_MatchesFloat64Reference(int rows, int width, double epsilon)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(rows * 31 + width));
        var x = randn([rows, 1, width], generator: generator) * 3;
        var weight = randn([width], generator: generator);

        var kernel = SmallRowRmsNorm.TryNormalize(x, weight, epsilon);

        Assert.NotNull(kernel);
        Assert.Equal(x.shape, kernel.shape);
        var x64 = x.to(ScalarType.Float64);
        var reference = weight.to(ScalarType.Float64) * x64 * (x64.pow(2).mean([-1L], keepdim: true) + epsilon).rsqrt();
        var error = ((kernel.to(ScalarType.Float64) - reference).abs() / (reference.abs() + 1e-30)).max().item<double>();
        Assert.True(error <= Tolerance, $"max relative error {error:e2}");
    }

    [Fact]
    public void TryNormalize_ReferenceWithoutTheMean_FailsTheCheck()
    {
        using var scope = NewDisposeScope();
        var x = randn([4, 64], generator: new Generator(3));
        var weight = ones(64);
        // The root of the sum of squares instead of the mean: a slip the tolerance above must catch.
        var wrong = x.to(ScalarType.Float64) * (x.to(ScalarType.Float64).pow(2).sum([-1L], keepdim: true) + 1e-6).rsqrt();

        var kernel = SmallRowRmsNorm.TryNormalize(x, weight, 1e-6)!;

        Assert.True(((kernel.to(ScalarType.Float64) - wrong).abs() / wrong.abs()).max().item<double>() > 1);
    }

    [Fact]
    public void TryNormalize_EachRow_BitwiseEqualAlone()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(4);
        var x = randn([5, 1, 203], generator: generator);
        var weight = randn([203], generator: generator);

        var together = SmallRowRmsNorm.TryNormalize(x, weight, 1e-5)!;

        for (var row = 0; row < 5; row++)
        {
            var alone = SmallRowRmsNorm.TryNormalize(x[row].clone(), weight, 1e-5)!;
            Assert.True(alone.eq(together[row]).all().item<bool>(), $"row {row} differs alone");
        }
    }

    [Fact]
    public void TryNormalize_InputsForLibtorch_Declines()
    {
        using var scope = NewDisposeScope();
        var weight = ones(8);

        Assert.Null(SmallRowRmsNorm.TryNormalize(randn(17, 8), weight, 1e-6));                       // more rows than a step
        Assert.Null(SmallRowRmsNorm.TryNormalize(randn(8, 4).t(), weight, 1e-6));                    // not contiguous
        Assert.Null(SmallRowRmsNorm.TryNormalize(randn(4, 8).to(ScalarType.BFloat16), weight, 1e-6)); // not float32
        Assert.Null(SmallRowRmsNorm.TryNormalize(randn(4, 8, requires_grad: true), weight, 1e-6));   // a graph to record
    }
}
