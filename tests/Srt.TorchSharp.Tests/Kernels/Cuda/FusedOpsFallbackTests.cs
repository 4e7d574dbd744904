using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>The composed-op path FusedOps takes on CPU: forward against hand-written formulas, gradients against finite differences.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class FusedOpsFallbackTests
{
    [Fact]
    public void RmsNorm_CpuFloat64_MatchesFormula()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var x = randn(new long[] { 2, 3, 7 }, ScalarType.Float64);
        var w = randn(7, ScalarType.Float64);
        var y = Gradients.Values(FusedOps.RmsNorm(x, w, 1e-5));
        var xs = Gradients.Values(x);
        var ws = Gradients.Values(w);
        var expected = new double[xs.Length];
        for (var row = 0; row < 6; row++)
        {
            var sum = 0.0;
            for (var c = 0; c < 7; c++)
            {
                sum += xs[row * 7 + c] * xs[row * 7 + c];
            }

            var inverse = 1.0 / Math.Sqrt(sum / 7 + 1e-5);
            for (var c = 0; c < 7; c++)
            {
                expected[row * 7 + c] = xs[row * 7 + c] * inverse * ws[c];
            }
        }

        Assert.True(Gradients.RelativeError(y, expected) < 1e-12);
    }

    [Fact]
    public void RmsNorm_Bfloat16_KeepsTypeAndStaysWithinBf16Rounding()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var x = randn(new long[] { 4, 64 }, ScalarType.Float64).to_type(ScalarType.BFloat16);
        var w = randn(64, ScalarType.Float64).to_type(ScalarType.BFloat16);
        var y = FusedOps.RmsNorm(x, w, 1e-6);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        var exact = FusedOps.RmsNorm(x.to_type(ScalarType.Float64), w.to_type(ScalarType.Float64), 1e-6);
        var error = Gradients.RelativeError(Gradients.Values(y), Gradients.Values(exact));
        Assert.InRange(error, 1e-5, 1e-2);  // bf16 output rounding is visible, and small
    }

    [Fact]
    public void RmsNorm_Gradients_MatchFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(new long[] { 3, 5 }, ScalarType.Float64).requires_grad_();
        var w = randn(5, ScalarType.Float64).requires_grad_();
        var probe = randn(new long[] { 3, 5 }, ScalarType.Float64);
        Tensor Loss(Tensor[] t) => (FusedOps.RmsNorm(t[0], t[1], 1e-5) * probe).sum();
        Loss(new[] { x, w }).backward();
        Assert.True(Gradients.RelativeError(Gradients.Values(x.grad!), Gradients.FiniteDifference(Loss, new[] { x, w }, 0)) < 1e-7);
        Assert.True(Gradients.RelativeError(Gradients.Values(w.grad!), Gradients.FiniteDifference(Loss, new[] { x, w }, 1)) < 1e-7);
    }

    [Fact]
    public void Rotary_CpuFloat64_MatchesRotateHalfFormula()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        const int batch = 2, heads = 3, seq = 4, dim = 6;
        var x = randn(new long[] { batch, heads, seq, dim }, ScalarType.Float64);
        var (cos, sin) = RotaryTables.Create(seq, dim);
        var y = Gradients.Values(FusedOps.Rotary(x, cos, sin));
        var xs = Gradients.Values(x);
        var cs = Gradients.Values(cos);
        var ss = Gradients.Values(sin);
        var expected = new double[xs.Length];
        for (var row = 0; row < batch * heads * seq; row++)
        {
            var t = row % seq;
            for (var j = 0; j < dim; j++)
            {
                // rotate_half(x)[j] = -x[j + D/2] for j < D/2, x[j - D/2] otherwise
                var rotated = j < dim / 2 ? -xs[row * dim + j + dim / 2] : xs[row * dim + j - dim / 2];
                expected[row * dim + j] = xs[row * dim + j] * cs[t * dim + j] + rotated * ss[t * dim + j];
            }
        }

        Assert.True(Gradients.RelativeError(y, expected) < 1e-12);
    }

    [Fact]
    public void Rotary_PerBatchTables_MatchBroadcastFourDimensionalTables()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var x = randn(new long[] { 2, 3, 4, 8 }, ScalarType.Float64);
        var cos = randn(new long[] { 2, 4, 8 }, ScalarType.Float64);
        var sin = randn(new long[] { 2, 4, 8 }, ScalarType.Float64);
        var threeDim = Gradients.Values(FusedOps.Rotary(x, cos, sin));
        var fourDim = Gradients.Values(FusedOps.Rotary(x, cos.unsqueeze(1), sin.unsqueeze(1)));
        Assert.Equal(fourDim, threeDim);
    }

    [Fact]
    public void Rotary_Gradients_MatchFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var x = randn(new long[] { 1, 2, 3, 4 }, ScalarType.Float64).requires_grad_();
        var (cos, sin) = RotaryTables.Create(3, 4);
        var probe = randn(new long[] { 1, 2, 3, 4 }, ScalarType.Float64);
        Tensor Loss(Tensor[] t) => (FusedOps.Rotary(t[0], cos, sin) * probe).sum();
        Loss(new[] { x }).backward();
        Assert.True(Gradients.RelativeError(Gradients.Values(x.grad!), Gradients.FiniteDifference(Loss, new[] { x }, 0)) < 1e-7);
    }

    [Fact]
    public void SwiGlu_CpuFloat64_MatchesFormulaAndFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var gate = (randn(new long[] { 3, 7 }, ScalarType.Float64) * 3).requires_grad_();
        var up = randn(new long[] { 3, 7 }, ScalarType.Float64).requires_grad_();
        var y = Gradients.Values(FusedOps.SwiGlu(gate, up));
        var g = Gradients.Values(gate);
        var u = Gradients.Values(up);
        var expected = g.Select((v, i) => v / (1 + Math.Exp(-v)) * u[i]).ToArray();
        Assert.True(Gradients.RelativeError(y, expected) < 1e-12);

        var probe = randn(new long[] { 3, 7 }, ScalarType.Float64);
        Tensor Loss(Tensor[] t) => (FusedOps.SwiGlu(t[0], t[1]) * probe).sum();
        Loss(new[] { gate, up }).backward();
        Assert.True(Gradients.RelativeError(Gradients.Values(gate.grad!), Gradients.FiniteDifference(Loss, new[] { gate, up }, 0)) < 1e-7);
        Assert.True(Gradients.RelativeError(Gradients.Values(up.grad!), Gradients.FiniteDifference(Loss, new[] { gate, up }, 1)) < 1e-7);
    }

    [Fact]
    public void FusedOps_BadShapes_ThrowNamingTheShapes()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 4);
        var rms = Assert.Throws<ArgumentException>(() => FusedOps.RmsNorm(x, zeros(5)));
        Assert.Contains("[2, 4]", rms.Message);
        Assert.Throws<ArgumentException>(() => FusedOps.Rotary(zeros(1, 2, 3, 5), zeros(3, 5), zeros(3, 5)));
        Assert.Throws<ArgumentException>(() => FusedOps.Rotary(zeros(1, 2, 3, 4), zeros(3, 4), zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => FusedOps.SwiGlu(zeros(2, 3), zeros(3, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FusedOps.RmsNorm(x, zeros(4), -1));
    }
}
