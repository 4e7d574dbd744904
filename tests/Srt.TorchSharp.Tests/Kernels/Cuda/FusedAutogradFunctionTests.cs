using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>
/// The autograd functions the CUDA path uses, driven on CPU by the composed kernels: their hand-written backward
/// formulas and their wiring (saved tensors, gradient order) must give libtorch autograd's gradients.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class FusedAutogradFunctionTests
{
    private static readonly IFusedOpKernels Composed = ComposedFusedOpKernels.Instance;

    [Fact]
    public void RmsNormFunction_ComposedKernels_MatchAutogradOfComposedOps()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var (x1, w1, probe) = (randn(new long[] { 2, 3, 9 }, ScalarType.Float64), randn(9, ScalarType.Float64), randn(new long[] { 2, 3, 9 }, ScalarType.Float64));
        var (x2, w2) = (x1.clone().requires_grad_(), w1.clone().requires_grad_());
        x1.requires_grad_();
        w1.requires_grad_();
        var fused = RmsNormFunction.apply(x1, w1, 1e-5, Composed);
        var plain = FusedOps.RmsNorm(x2, w2, 1e-5);
        (fused * probe).sum().backward();
        (plain * probe).sum().backward();
        Assert.True(Gradients.RelativeError(Gradients.Values(fused), Gradients.Values(plain)) < 1e-13);
        Assert.True(Gradients.RelativeError(Gradients.Values(x1.grad!), Gradients.Values(x2.grad!)) < 1e-12);
        Assert.True(Gradients.RelativeError(Gradients.Values(w1.grad!), Gradients.Values(w2.grad!)) < 1e-12);
    }

    [Fact]
    public void RotaryFunction_ComposedKernels_MatchAutogradOfComposedOps()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var x1 = randn(new long[] { 2, 3, 5, 8 }, ScalarType.Float64);
        var x2 = x1.clone().requires_grad_();
        x1.requires_grad_();
        // Arbitrary tables (not unit rotations), per batch row, so the backward must be the true transpose.
        var cos = randn(new long[] { 2, 5, 8 }, ScalarType.Float64);
        var sin = randn(new long[] { 2, 5, 8 }, ScalarType.Float64);
        var probe = randn(new long[] { 2, 3, 5, 8 }, ScalarType.Float64);
        var fused = RotaryFunction.apply(x1, cos.unsqueeze(1), sin.unsqueeze(1), Composed);
        var plain = FusedOps.Rotary(x2, cos, sin);
        (fused * probe).sum().backward();
        (plain * probe).sum().backward();
        Assert.True(Gradients.RelativeError(Gradients.Values(fused), Gradients.Values(plain)) < 1e-13);
        Assert.True(Gradients.RelativeError(Gradients.Values(x1.grad!), Gradients.Values(x2.grad!)) < 1e-12);
    }

    [Fact]
    public void RotaryInverse_UndoesRotaryWithRealTables()
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var x = randn(new long[] { 1, 2, 6, 8 }, ScalarType.Float64);
        var (cos, sin) = RotaryTables.Create(6, 8);
        var back = Composed.Rotary(Composed.Rotary(x, cos, sin, inverse: false), cos, sin, inverse: true);
        Assert.True(Gradients.RelativeError(Gradients.Values(back), Gradients.Values(x)) < 1e-13);
    }

    [Fact]
    public void SwiGluFunction_ComposedKernels_MatchAutogradOfComposedOps()
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        var (g1, u1, probe) = (randn(new long[] { 4, 11 }, ScalarType.Float64) * 3, randn(new long[] { 4, 11 }, ScalarType.Float64), randn(new long[] { 4, 11 }, ScalarType.Float64));
        var (g2, u2) = (g1.clone().requires_grad_(), u1.clone().requires_grad_());
        g1.requires_grad_();
        u1.requires_grad_();
        var fused = SwiGluFunction.apply(g1, u1, Composed);
        var plain = FusedOps.SwiGlu(g2, u2);
        (fused * probe).sum().backward();
        (plain * probe).sum().backward();
        Assert.True(Gradients.RelativeError(Gradients.Values(fused), Gradients.Values(plain)) < 1e-13);
        Assert.True(Gradients.RelativeError(Gradients.Values(g1.grad!), Gradients.Values(g2.grad!)) < 1e-12);
        Assert.True(Gradients.RelativeError(Gradients.Values(u1.grad!), Gradients.Values(u2.grad!)) < 1e-12);
    }

    [Fact]
    public void RmsNormFunction_Bfloat16_GradientsCloseToFloat64()
    {
        using var scope = NewDisposeScope();
        manual_seed(15);
        var x64 = randn(new long[] { 8, 32 }, ScalarType.Float64);
        var w64 = randn(32, ScalarType.Float64);
        var probe = randn(new long[] { 8, 32 }, ScalarType.Float64);
        var x16 = x64.to_type(ScalarType.BFloat16).requires_grad_();
        var w16 = w64.to_type(ScalarType.BFloat16).requires_grad_();
        var xExact = x16.detach().to_type(ScalarType.Float64).requires_grad_();
        var wExact = w16.detach().to_type(ScalarType.Float64).requires_grad_();
        (RmsNormFunction.apply(x16, w16, 1e-6, Composed).to_type(ScalarType.Float64) * probe).sum().backward();
        (FusedOps.RmsNorm(xExact, wExact, 1e-6) * probe).sum().backward();
        Assert.Equal(ScalarType.BFloat16, x16.grad!.dtype);
        Assert.True(Gradients.RelativeError(Gradients.Values(x16.grad!), Gradients.Values(xExact.grad!)) < 1e-2);
        Assert.True(Gradients.RelativeError(Gradients.Values(w16.grad!), Gradients.Values(wExact.grad!)) < 1e-2);
    }
}
