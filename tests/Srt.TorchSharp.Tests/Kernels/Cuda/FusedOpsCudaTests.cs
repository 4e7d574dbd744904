using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>The CUDA kernels through FusedOps against the CPU composed path (runs only with a GPU and a CUDA libtorch).</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class FusedOpsCudaTests
{
    [CudaFact]
    public void FusedOps_OnCuda_MatchCpuForwardAndGradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        var x = randn(new long[] { 3, 2, 17, 64 });
        var w = randn(64);
        var gate = randn(new long[] { 5, 301 });
        var up = randn(new long[] { 5, 301 });
        var (cos, sin) = RotaryTables.Create(17, 64);
        var cpu = Run(x, w, gate, up, cos.to_type(ScalarType.Float32), sin.to_type(ScalarType.Float32), CPU);
        var gpu = Run(x, w, gate, up, cos.to_type(ScalarType.Float32), sin.to_type(ScalarType.Float32), CUDA);
        for (var i = 0; i < cpu.Length; i++)
        {
            Assert.True(Gradients.RelativeError(Gradients.Values(gpu[i].cpu()), Gradients.Values(cpu[i])) < 1e-5, $"output {i}");
        }
    }

    private static Tensor[] Run(Tensor x, Tensor w, Tensor gate, Tensor up, Tensor cos, Tensor sin, Device device)
    {
        var (xd, wd, gd, ud) = (x.to(device).requires_grad_(), w.to(device).requires_grad_(), gate.to(device).requires_grad_(), up.to(device).requires_grad_());
        var normed = FusedOps.RmsNorm(xd, wd, 1e-5);
        var rotated = FusedOps.Rotary(normed, cos.to(device), sin.to(device));
        var glu = FusedOps.SwiGlu(gd, ud);
        (rotated.pow(2).sum() + glu.pow(2).sum()).backward();
        return new[] { rotated.detach(), glu.detach(), xd.grad!, wd.grad!, gd.grad!, ud.grad! };
    }
}
