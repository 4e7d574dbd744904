using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// Memory-lean language-model losses: the lm_head projection fused with cross-entropy, computed a chunk of supervised
/// tokens at a time so that the tokens × vocabulary logits are never held in full. Works on any device.
/// </summary>
/// <remarks>
/// Targets are aligned with the hidden states: <c>targets[i]</c> is the token that position <c>i</c> predicts
/// (shift labels before calling). A token carries loss when its mask is set (or no mask is given) and its target is
/// not <see cref="LanguageModelLossOptions.IgnoreIndex"/>. Unsupervised tokens are never projected.
/// </remarks>
public static class FusedLinearCrossEntropy
{
    private static readonly LanguageModelLossOptions DefaultOptions = new();

    /// <summary>Computes the cross-entropy of <c>hidden · weightᵀ</c> against <paramref name="targets"/> over supervised tokens.</summary>
    /// <param name="hidden">Final hidden states [N, H] or [B, T, H], float32, bfloat16 or float64.</param>
    /// <param name="weight">The lm_head weight [V, H], same dtype and device; when it does not require a gradient (a frozen head) none is computed.</param>
    /// <param name="targets">Target ids (int64) shaped like <paramref name="hidden"/> without its last dimension.</param>
    /// <param name="lossMask">Optional mask of the same shape (bool, or numeric where non-zero means supervised).</param>
    /// <param name="options">Reduction, ignore index and chunking; <see langword="null"/> for the defaults.</param>
    /// <returns>The float32 scalar loss (float64 for float64 inputs) and the number of supervised tokens.</returns>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not match; the message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A supervised target lies outside [0, V).</exception>
    public static LinearCrossEntropyResult Compute(Tensor hidden, Tensor weight, Tensor targets, Tensor? lossMask = null, LanguageModelLossOptions? options = null)
    {
        options ??= DefaultOptions;
        options.Validate();
        using var scope = torch.NewDisposeScope();
        var (flatHidden, flatTargets) = SupervisedRows.Flatten(hidden, weight, targets, lossMask);
        var (rows, rowHidden, rowTargets) = GatherSupervised(flatHidden, flatTargets, lossMask, weight.shape[0], options);
        long count = rows.shape[0];
        double scale = options.Reduction == LossReduction.Mean ? 1.0 / Math.Max(count, 1) : 1.0;
        var settings = CreateSettings(rowHidden, weight, count, scale, options);
        var loss = FusedLinearCrossEntropyFunction.apply(rowHidden, weight, rowTargets, settings)[0];
        return new LinearCrossEntropyResult(loss.MoveToOuterDisposeScope(), count);
    }

    /// <summary>
    /// Computes, per sequence, the sum of the log-probabilities of the target tokens over supervised positions
    /// (the quantity DPO compares), without full logits. Differentiable; under <c>torch.no_grad()</c> (a reference
    /// model) it only computes values.
    /// </summary>
    /// <param name="hidden">Final hidden states [B, T, H].</param>
    /// <param name="weight">The lm_head weight [V, H].</param>
    /// <param name="targets">Target ids [B, T] (int64), aligned with <paramref name="hidden"/>.</param>
    /// <param name="lossMask">Optional mask [B, T]; typically the response tokens.</param>
    /// <param name="options">Ignore index and chunking (the reduction does not apply); <see langword="null"/> for the defaults.</param>
    /// <returns>The per-sequence sums [B], float32 (float64 for float64 inputs).</returns>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not match; the message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A supervised target lies outside [0, V).</exception>
    public static Tensor SequenceLogProbs(Tensor hidden, Tensor weight, Tensor targets, Tensor? lossMask = null, LanguageModelLossOptions? options = null)
    {
        options ??= DefaultOptions;
        options.Validate();
        RequireBatchTimeHidden(hidden);
        using var scope = torch.NewDisposeScope();
        var (flatHidden, flatTargets) = SupervisedRows.Flatten(hidden, weight, targets, lossMask);
        var (rows, rowHidden, rowTargets) = GatherSupervised(flatHidden, flatTargets, lossMask, weight.shape[0], options);
        var settings = CreateSettings(rowHidden, weight, rows.shape[0], scale: 1.0, options);
        var tokenLogProbs = FusedTokenLogProbsFunction.apply(rowHidden, weight, rowTargets, settings)[0];
        var sequenceOfRow = rows.div(HeldScalars.Of(hidden.shape[1]), rounding_mode: RoundingMode.floor);
        var sums = torch.zeros(hidden.shape[0], dtype: tokenLogProbs.dtype, device: hidden.device)
            .index_add(0, sequenceOfRow, tokenLogProbs, HeldScalars.One);
        return sums.MoveToOuterDisposeScope();
    }

    internal static void RequireBatchTimeHidden(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.dim() != 3)
        {
            throw new ArgumentException($"hidden must be [B, T, H] for per-sequence log-probabilities; got shape [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }
    }

    private static (Tensor Rows, Tensor Hidden, Tensor Targets) GatherSupervised(
        Tensor flatHidden, Tensor flatTargets, Tensor? lossMask, long vocabulary, LanguageModelLossOptions options)
    {
        var rows = SupervisedRows.Select(flatTargets, lossMask, options.IgnoreIndex).nonzero().squeeze(1);
        bool all = rows.shape[0] == flatTargets.shape[0];

        // Gather before projecting: unsupervised rows (prompts, padding) never reach the matmul.
        var rowHidden = all ? flatHidden : flatHidden.index_select(0, rows);
        var rowTargets = all ? flatTargets : flatTargets.index_select(0, rows);
        SupervisedRows.CheckTargetRange(rowTargets, vocabulary);
        return (rows, rowHidden, rowTargets);
    }

    private static FusedLossSettings CreateSettings(Tensor rowHidden, Tensor weight, long rows, double scale, LanguageModelLossOptions options)
    {
        bool gradients = torch.is_grad_enabled();
        return new FusedLossSettings(
            options.ResolveChunkRows(weight.shape[0], rows, weight.device_type),
            scale,
            HiddenGradient: gradients && rowHidden.requires_grad,
            WeightGradient: gradients && weight.requires_grad,
            CudaRowKernel: options.CudaCrossEntropyKernel);
    }
}
