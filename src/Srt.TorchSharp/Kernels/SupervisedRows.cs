using System.Diagnostics.CodeAnalysis;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// Checks the inputs of a language-model loss and finds the rows that carry loss: the mask is set and the target is
/// not the ignore index. Shared by the fused and plain paths so that both agree on which tokens count.
/// </summary>
internal static class SupervisedRows
{
    /// <summary>Validates shapes and dtypes; returns the flattened hidden states [N, H] and targets [N].</summary>
    public static (Tensor Hidden, Tensor Targets) Flatten(Tensor hidden, Tensor weight, Tensor targets, Tensor? lossMask)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(targets);
        if (hidden.dim() < 2)
        {
            throw new ArgumentException($"hidden must be [N, H] or [B, T, H]; got shape [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }

        if (weight.dim() != 2 || weight.shape[1] != hidden.shape[^1])
        {
            throw new ArgumentException($"weight must be [V, H] with H = {hidden.shape[^1]}; got shape [{string.Join(", ", weight.shape)}].", nameof(weight));
        }

        if (weight.dtype != hidden.dtype)
        {
            throw new ArgumentException($"hidden ({hidden.dtype}) and weight ({weight.dtype}) must have the same dtype.", nameof(weight));
        }

        if (weight.device_type != hidden.device_type || weight.device_index != hidden.device_index)
        {
            throw new ArgumentException($"hidden ({hidden.device}) and weight ({weight.device}) must be on the same device.", nameof(weight));
        }

        var leading = hidden.shape[..^1];
        if (!targets.shape.SequenceEqual(leading))
        {
            throw new ArgumentException($"targets must have shape [{string.Join(", ", leading)}] to match hidden; got [{string.Join(", ", targets.shape)}].", nameof(targets));
        }

        if (targets.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"targets must be int64 token ids; got {targets.dtype}.", nameof(targets));
        }

        if (lossMask is not null && !lossMask.shape.SequenceEqual(leading))
        {
            throw new ArgumentException($"lossMask must have shape [{string.Join(", ", leading)}] to match hidden; got [{string.Join(", ", lossMask.shape)}].", nameof(lossMask));
        }

        long hiddenSize = hidden.shape[^1];
        return (hidden.reshape(-1, hiddenSize), targets.reshape(-1));
    }

    /// <summary>Returns a bool tensor [N]: true where the token carries loss.</summary>
    public static Tensor Select(Tensor flatTargets, Tensor? lossMask, long ignoreIndex)
    {
        var supervised = flatTargets.ne(HeldScalars.Of(ignoreIndex));
        if (lossMask is not null)
        {
            var mask = lossMask.reshape(-1).to(flatTargets.device);
            supervised = supervised.logical_and(mask.dtype == ScalarType.Bool ? mask : mask.ne(HeldScalars.Of(0L)));
        }

        return supervised;
    }

    /// <summary>Throws unless every supervised target lies in [0, V).</summary>
    [SuppressMessage("Usage", "CA2208", Justification = "Names the public loss functions' parameter: the targets they were given.")]
    public static void CheckTargetRange(Tensor supervisedTargets, long vocabularySize)
    {
        if (supervisedTargets.numel() == 0)
        {
            return;
        }

        long min = supervisedTargets.min().item<long>();
        long max = supervisedTargets.max().item<long>();
        if (min < 0 || max >= vocabularySize)
        {
            throw new ArgumentOutOfRangeException(
                "targets",
                $"Supervised target ids must lie in [0, {vocabularySize}); found ids from {min} to {max}. Mask such tokens or set them to the ignore index.");
        }
    }
}
