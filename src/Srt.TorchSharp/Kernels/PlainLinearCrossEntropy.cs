using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// The same losses as <see cref="FusedLinearCrossEntropy"/>, computed the textbook way: full logits for every token
/// (upcast to float32), then <c>cross_entropy</c> or <c>log_softmax</c>. Memory grows with tokens × vocabulary.
/// </summary>
public static class PlainLinearCrossEntropy
{
    private static readonly LanguageModelLossOptions DefaultOptions = new();

    /// <summary>Computes the cross-entropy of <c>hidden · weightᵀ</c> against <paramref name="targets"/> over supervised tokens.</summary>
    /// <param name="hidden">Final hidden states [N, H] or [B, T, H].</param>
    /// <param name="weight">The lm_head weight [V, H].</param>
    /// <param name="targets">Target ids (int64) shaped like <paramref name="hidden"/> without its last dimension.</param>
    /// <param name="lossMask">Optional mask of the same shape (bool, or numeric where non-zero means supervised).</param>
    /// <param name="options">Reduction and ignore index (chunking does not apply); <see langword="null"/> for the defaults.</param>
    /// <returns>The float32 scalar loss (float64 for float64 inputs) and the number of supervised tokens.</returns>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not match; the message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A supervised target lies outside [0, V).</exception>
    public static LinearCrossEntropyResult Compute(Tensor hidden, Tensor weight, Tensor targets, Tensor? lossMask = null, LanguageModelLossOptions? options = null)
    {
        options ??= DefaultOptions;
        options.Validate();
        using var scope = torch.NewDisposeScope();
        var (flatHidden, flatTargets) = SupervisedRows.Flatten(hidden, weight, targets, lossMask);
        var supervised = SupervisedRows.Select(flatTargets, lossMask, options.IgnoreIndex);
        SupervisedRows.CheckTargetRange(flatTargets.masked_select(supervised), weight.shape[0]);
        long count = supervised.sum().item<long>();

        var logits = SoftCap(flatHidden.mm(weight.t()).to(LinearCrossEntropyChunks.AccumulationType(hidden.dtype)), options);
        var lossTargets = flatTargets.masked_fill(supervised.logical_not(), HeldScalars.Of(options.IgnoreIndex));
        var loss = torch.nn.functional.cross_entropy(logits, lossTargets, ignore_index: options.IgnoreIndex, reduction: nn.Reduction.Sum);
        if (options.Reduction == LossReduction.Mean)
        {
            loss = loss / HeldScalars.Of(Math.Max(count, 1));
        }

        return new LinearCrossEntropyResult(loss.MoveToOuterDisposeScope(), count);
    }

    /// <summary>Computes, per sequence, the sum of target-token log-probabilities over supervised positions, from full logits.</summary>
    /// <param name="hidden">Final hidden states [B, T, H].</param>
    /// <param name="weight">The lm_head weight [V, H].</param>
    /// <param name="targets">Target ids [B, T] (int64), aligned with <paramref name="hidden"/>.</param>
    /// <param name="lossMask">Optional mask [B, T].</param>
    /// <param name="options">The ignore index; <see langword="null"/> for the defaults.</param>
    /// <returns>The per-sequence sums [B], float32 (float64 for float64 inputs).</returns>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not match; the message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A supervised target lies outside [0, V).</exception>
    public static Tensor SequenceLogProbs(Tensor hidden, Tensor weight, Tensor targets, Tensor? lossMask = null, LanguageModelLossOptions? options = null)
    {
        options ??= DefaultOptions;
        options.Validate();
        FusedLinearCrossEntropy.RequireBatchTimeHidden(hidden);
        using var scope = torch.NewDisposeScope();
        SupervisedRows.Flatten(hidden, weight, targets, lossMask);
        var supervised = SupervisedRows.Select(targets.reshape(-1), lossMask, options.IgnoreIndex).reshape(targets.shape);
        SupervisedRows.CheckTargetRange(targets.masked_select(supervised), weight.shape[0]);

        var logits = SoftCap(hidden.matmul(weight.t()).to(LinearCrossEntropyChunks.AccumulationType(hidden.dtype)), options);
        var logProbs = logits.log_softmax(-1);
        var safeTargets = targets.masked_fill(supervised.logical_not(), HeldScalars.Of(0L)).unsqueeze(-1);
        var tokenLogProbs = logProbs.gather(-1, safeTargets).squeeze(-1).masked_fill(supervised.logical_not(), HeldScalars.Of(0L));
        return tokenLogProbs.sum(1).MoveToOuterDisposeScope();
    }

    // Gemma 2's final logit soft-capping, applied where the model's ComputeLogits applies it.
    private static Tensor SoftCap(Tensor logits, LanguageModelLossOptions options) =>
        options.LogitSoftcapping is { } cap ? (logits / HeldScalars.Of(cap)).tanh() * HeldScalars.Of(cap) : logits;
}
