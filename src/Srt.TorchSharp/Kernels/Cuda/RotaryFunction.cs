using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// Rotary embedding as one autograd node: arguments (input, cos, sin, <see cref="IFusedOpKernels"/>). cos and sin are
/// treated as constants (no gradient), as the position tables of a language model are.
/// </summary>
internal sealed class RotaryFunction : autograd.SingleTensorFunction<RotaryFunction>
{
    private const string KernelsKey = "kernels";

    public override string Name => "SrtRotary";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var cos = (Tensor)vars[1];
        var sin = (Tensor)vars[2];
        var kernels = (IFusedOpKernels)vars[3];
        ctx.save_for_backward(new List<Tensor> { cos, sin });
        ctx.save_data(KernelsKey, kernels);
        return kernels.Rotary(input, cos, sin, inverse: false);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        // A scope frees the unpacked saved wrappers and the kernels' temporaries on whichever thread this runs.
        bool callerScoped = BackwardOutputs.BeginBackward();
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var kernels = (IFusedOpKernels)ctx.get_data(KernelsKey);
        var inputGrad = kernels.Rotary(grad_output, saved[0], saved[1], inverse: true).MoveToOuterDisposeScope();
        return BackwardOutputs.HandOver(callerScoped, [inputGrad, null!, null!, null!], [grad_output]);
    }
}
