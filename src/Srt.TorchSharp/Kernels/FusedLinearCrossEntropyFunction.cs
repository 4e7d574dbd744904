using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// Autograd function for the fused linear cross-entropy over supervised rows. Forward computes the loss and both
/// gradients chunk by chunk and saves only the gradients ([M, H] and [V, H]); backward scales them by the incoming
/// gradient. Arguments: hidden [M, H], weight [V, H], targets [M], <see cref="FusedLossSettings"/>.
/// </summary>
internal sealed class FusedLinearCrossEntropyFunction : torch.autograd.MultiTensorFunction<FusedLinearCrossEntropyFunction>
{
    /// <inheritdoc/>
    public override string Name => nameof(FusedLinearCrossEntropyFunction);

    /// <inheritdoc/>
    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var hidden = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var targets = (Tensor)vars[2];
        var settings = (FusedLossSettings)vars[3];

        var outputs = LinearCrossEntropyChunks.Run(
            hidden, weight, targets, settings.ChunkRows, settings.Scale, rowWeights: null, settings.HiddenGradient, settings.WeightGradient,
            settings.CudaRowKernel);
        var loss = outputs.Nll.sum().mul_(HeldScalars.Of(settings.Scale));
        ctx.save_for_backward([outputs.GradHidden!, outputs.GradWeight!]);
        return [loss];
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        // On the CPU this runs on the thread that called backward(); on CUDA on libtorch's device thread (no scope
        // there: BackwardOutputs frees what we return). A scope keeps the unpacked wrappers from piling up.
        bool callerScoped = BackwardOutputs.BeginBackward();
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        Tensor? gradHidden = saved[0];
        Tensor? gradWeight = saved[1];
        var upstream = grad_outputs[0];

        // The usual caller is loss.backward() with an upstream gradient of exactly 1: hand the saved gradients over
        // as they are instead of allocating scaled copies (a V × H copy is as large as the weight).
        if (upstream.to(ScalarType.Float64).item<double>() != 1.0)
        {
            gradHidden = gradHidden?.mul(upstream.to(gradHidden.dtype));
            gradWeight = gradWeight?.mul(upstream.to(gradWeight.dtype));
        }

        return BackwardOutputs.HandOver(
            callerScoped,
            [gradHidden?.MoveToOuterDisposeScope()!, gradWeight?.MoveToOuterDisposeScope()!, null!, null!], grad_outputs);
    }
}
