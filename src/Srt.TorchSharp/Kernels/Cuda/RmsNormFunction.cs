using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>RMSNorm as one autograd node: arguments (input, weight, eps, <see cref="IFusedOpKernels"/>).</summary>
internal sealed class RmsNormFunction : autograd.SingleTensorFunction<RmsNormFunction>
{
    private const string KernelsKey = "kernels";

    public override string Name => "SrtRmsNorm";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var kernels = (IFusedOpKernels)vars[3];
        var (output, inverseRms) = kernels.RmsNormForward(input, weight, (double)vars[2]);
        ctx.save_for_backward(new List<Tensor> { input, weight, inverseRms });
        ctx.save_data(KernelsKey, kernels);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        // A scope frees the unpacked saved wrappers and the kernels' temporaries on whichever thread this runs.
        bool callerScoped = BackwardOutputs.BeginBackward();
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var kernels = (IFusedOpKernels)ctx.get_data(KernelsKey);
        var (inputGrad, weightGrad) = kernels.RmsNormBackward(grad_output, saved[0], saved[1], saved[2]);
        return BackwardOutputs.HandOver(
            callerScoped, [inputGrad.MoveToOuterDisposeScope(), weightGrad.MoveToOuterDisposeScope(), null!, null!], [grad_output]);
    }
}
