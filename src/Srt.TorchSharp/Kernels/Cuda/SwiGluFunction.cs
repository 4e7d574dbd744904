using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>SwiGLU as one autograd node: arguments (gate, up, <see cref="IFusedOpKernels"/>).</summary>
internal sealed class SwiGluFunction : autograd.SingleTensorFunction<SwiGluFunction>
{
    private const string KernelsKey = "kernels";

    public override string Name => "SrtSwiGlu";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var gate = (Tensor)vars[0];
        var up = (Tensor)vars[1];
        var kernels = (IFusedOpKernels)vars[2];
        ctx.save_for_backward(new List<Tensor> { gate, up });
        ctx.save_data(KernelsKey, kernels);
        return kernels.SwiGluForward(gate, up);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        // A scope frees the unpacked saved wrappers and the kernels' temporaries on whichever thread this runs.
        bool callerScoped = BackwardOutputs.BeginBackward();
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var kernels = (IFusedOpKernels)ctx.get_data(KernelsKey);
        var (gateGrad, upGrad) = kernels.SwiGluBackward(grad_output, saved[0], saved[1]);
        return BackwardOutputs.HandOver(
            callerScoped, [gateGrad.MoveToOuterDisposeScope(), upGrad.MoveToOuterDisposeScope(), null!], [grad_output]);
    }
}
