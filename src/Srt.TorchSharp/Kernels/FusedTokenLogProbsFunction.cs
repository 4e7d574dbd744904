using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// Autograd function for the log-probability of each row's target, log softmax(h Wᵀ)[t], over supervised rows.
/// Forward keeps no logits and saves only references to its inputs. Because the upstream gradient differs per row
/// (per sequence in DPO), the weight gradient cannot be precomputed as one matrix; backward recomputes the logits
/// chunk by chunk instead (one extra projection). Arguments: hidden [M, H], weight [V, H], targets [M],
/// <see cref="FusedLossSettings"/>.
/// </summary>
internal sealed class FusedTokenLogProbsFunction : torch.autograd.MultiTensorFunction<FusedTokenLogProbsFunction>
{
    private const string SettingsKey = "settings";

    /// <inheritdoc/>
    public override string Name => nameof(FusedTokenLogProbsFunction);

    /// <inheritdoc/>
    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var hidden = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var targets = (Tensor)vars[2];
        var settings = (FusedLossSettings)vars[3];

        var outputs = LinearCrossEntropyChunks.Run(
            hidden, weight, targets, settings.ChunkRows, scale: 1.0, rowWeights: null, computeHiddenGradient: false, computeWeightGradient: false,
            settings.CudaRowKernel);
        ctx.save_for_backward([hidden, weight, targets]);
        ctx.save_data(SettingsKey, settings);
        return [outputs.Nll.neg_()];
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        bool callerScoped = BackwardOutputs.BeginBackward();
        using var scope = torch.NewDisposeScope();

        // The recomputation is not itself differentiated (no double backward): keep autograd out of it.
        using var noGrad = torch.no_grad();
        var saved = ctx.get_saved_variables();
        var settings = (FusedLossSettings)ctx.get_data(SettingsKey);

        // d logp / d logits = onehot − softmax = −(softmax − onehot): scale −1, rows weighted by the upstream gradient.
        var outputs = LinearCrossEntropyChunks.Run(
            saved[0], saved[1], saved[2], settings.ChunkRows, scale: -1.0, rowWeights: grad_outputs[0], settings.HiddenGradient, settings.WeightGradient,
            settings.CudaRowKernel);
        return BackwardOutputs.HandOver(
            callerScoped,
            [outputs.GradHidden?.MoveToOuterDisposeScope()!, outputs.GradWeight?.MoveToOuterDisposeScope()!, null!, null!], grad_outputs);
    }
}
