using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// The language-model losses a trainer calls: dispatches to <see cref="FusedLinearCrossEntropy"/> or
/// <see cref="PlainLinearCrossEntropy"/> according to <see cref="LanguageModelLossOptions.Implementation"/>.
/// </summary>
public static class LanguageModelLoss
{
    /// <summary>Computes the cross-entropy of <c>hidden · weightᵀ</c> against <paramref name="targets"/> over supervised tokens.</summary>
    /// <param name="hidden">Final hidden states [N, H] or [B, T, H].</param>
    /// <param name="weight">The lm_head weight [V, H].</param>
    /// <param name="targets">Target ids (int64), aligned with <paramref name="hidden"/> (already shifted).</param>
    /// <param name="lossMask">Optional mask (bool or numeric) of the same shape as <paramref name="targets"/>.</param>
    /// <param name="options">The implementation, reduction, ignore index and chunking; <see langword="null"/> for the defaults (fused, mean).</param>
    /// <returns>The scalar loss and the number of supervised tokens.</returns>
    public static LinearCrossEntropyResult CrossEntropy(Tensor hidden, Tensor weight, Tensor targets, Tensor? lossMask = null, LanguageModelLossOptions? options = null) =>
        (options?.Implementation ?? LossImplementation.Fused) == LossImplementation.Plain || options?.LogitSoftcapping is not null
            ? PlainLinearCrossEntropy.Compute(hidden, weight, targets, lossMask, options)
            : FusedLinearCrossEntropy.Compute(hidden, weight, targets, lossMask, options);

    /// <summary>Computes per-sequence sums of target-token log-probabilities over supervised positions (for DPO).</summary>
    /// <param name="hidden">Final hidden states [B, T, H].</param>
    /// <param name="weight">The lm_head weight [V, H].</param>
    /// <param name="targets">Target ids [B, T] (int64), aligned with <paramref name="hidden"/> (already shifted).</param>
    /// <param name="lossMask">Optional mask [B, T].</param>
    /// <param name="options">The implementation, ignore index and chunking; <see langword="null"/> for the defaults.</param>
    /// <returns>The per-sequence sums [B].</returns>
    public static Tensor SequenceLogProbs(Tensor hidden, Tensor weight, Tensor targets, Tensor? lossMask = null, LanguageModelLossOptions? options = null) =>
        (options?.Implementation ?? LossImplementation.Fused) == LossImplementation.Plain || options?.LogitSoftcapping is not null
            ? PlainLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets, lossMask, options)
            : FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets, lossMask, options);
}
