using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Boolean attention masks (true = attend) as separate pieces that compose by AND: causal order, and the block-diagonal
/// rule of packed sequences (a query sees only keys of its own sequence). Another rule (a sliding window) ANDs in the
/// same way.
/// </summary>
internal static class SequenceMask
{
    /// <summary>[T, T]: query i may see key j when j ≤ i.</summary>
    public static Tensor Causal(long tokens, Device device)
    {
        var keys = arange(HeldScalars.Of(tokens), ScalarType.Int64, device).unsqueeze(0);
        var queries = arange(HeldScalars.Of(tokens), ScalarType.Int64, device).unsqueeze(1);
        return keys.le(queries);
    }

    /// <summary>[B, T, T] from sequence ids [B, T]: query i may see key j when both tokens belong to the same sequence.</summary>
    public static Tensor SameSequence(Tensor sequenceIds) => sequenceIds.unsqueeze(2).eq(sequenceIds.unsqueeze(1));

    /// <summary>[B, 1, T, T]: causal AND same sequence, broadcastable over heads.</summary>
    public static Tensor PackedCausal(Tensor sequenceIds)
    {
        using var causal = Causal(sequenceIds.shape[1], sequenceIds.device);
        return SameSequence(sequenceIds).logical_and_(causal.unsqueeze(0)).unsqueeze(1);
    }
}
