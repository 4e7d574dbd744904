using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// Identity on a one-element tensor whose backward only drains <see cref="BackwardOutputs"/> on the thread it runs on
/// (see <see cref="BackwardOutputs.Release(Device)"/>).
/// </summary>
internal sealed class BackwardOutputsReleaseFunction : autograd.SingleTensorFunction<BackwardOutputsReleaseFunction>
{
    public override string Name => "SrtBackwardOutputsRelease";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).clone();

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        bool callerScoped = BackwardOutputs.BeginBackward();
        return BackwardOutputs.HandOver(callerScoped, [grad_output.clone()], [grad_output]);
    }
}
