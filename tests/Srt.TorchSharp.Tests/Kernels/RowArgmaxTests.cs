using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

/// <summary>Greedy decoding's argmax read in place, against libtorch's <c>argmax(-1)</c>: random rows of vocabulary
/// widths with and without a vector tail, ties (the first wins), NaN (the first NaN wins), ±0, and rows of -∞.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class RowArgmaxTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(8, 16)]
    [InlineData(5, 1001)]
    [InlineData(8, 32000)]
    public void TryArgmax_RandomRows_EqualsTorchArgmax(int rows, int width)
    {
        using var scope = NewDisposeScope();
        var logits = randn([rows, width], generator: new Generator((ulong)(rows * 7 + width)));

        Assert.Equal(logits.argmax(-1).data<long>().ToArray(), RowArgmax.TryArgmax(logits));
    }

    [Fact]
    public void TryArgmax_TiesNaNSignedZeroAndNegativeInfinity_EqualsTorchArgmax()
    {
        using var scope = NewDisposeScope();
        const int Width = 37;
        var rows = new float[6][];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = Enumerable.Range(0, Width).Select(i => -1f - i % 5).ToArray();
        }
        rows[0][20] = 3f; rows[0][9] = 3f; rows[0][33] = 3f;            // ties in the vector part and the tail: the first
        rows[1][30] = float.NaN; rows[1][12] = float.NaN; rows[1][2] = 9f; // NaNs beat any value: the first NaN
        rows[2][36] = float.NaN;                                          // a NaN in the scalar tail only
        rows[3][14] = -0f; rows[3][5] = 0f; rows[3][25] = -0f;             // -0 and +0 equal: the first zero
        Array.Fill(rows[4], float.NegativeInfinity);                      // nothing finite: index 0
        rows[5][Width - 1] = 1e30f;                                       // the largest value last
        var logits = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, Width]);

        var expected = logits.argmax(-1).data<long>().ToArray();

        Assert.Equal(new long[] { 9, 12, 36, 5, 0, Width - 1 }, expected);
        Assert.Equal(expected, RowArgmax.TryArgmax(logits));
    }

    [Fact]
    public void TryArgmax_NotContiguousFloat32OnCpu_Declines()
    {
        using var scope = NewDisposeScope();
        var logits = randn([4, 10]);

        Assert.Null(RowArgmax.TryArgmax(logits.t()));
        Assert.Null(RowArgmax.TryArgmax(logits.to(ScalarType.BFloat16)));
        Assert.Null(RowArgmax.TryArgmax(logits.reshape(2, 2, 10)));
    }
}
