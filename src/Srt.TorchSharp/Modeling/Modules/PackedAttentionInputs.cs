using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// The <see cref="AttentionContext"/> of a packed pass: several sequences share a row, each with its own positions
/// (restarting at 0), and attention never crosses from one into another. Training only: no cache. Tensors it creates
/// belong to the caller's dispose scope.
/// </summary>
internal static class PackedAttentionInputs
{
    /// <param name="inputIds">Token ids [B, T].</param>
    /// <param name="positionIds">Each token's position inside its own sequence [B, T] (int64).</param>
    /// <param name="sequenceIds">Each token's sequence id [B, T] (int64); tokens attend only to earlier tokens with the same id.</param>
    /// <param name="segments">The same layout on the host, for layers that attend per sequence; null to use the mask only.</param>
    /// <param name="rotary">The rotary tables.</param>
    /// <param name="dtype">The model dtype.</param>
    /// <param name="device">The model device.</param>
    public static AttentionContext Build(
        Tensor inputIds, Tensor positionIds, Tensor sequenceIds, PackedSegments? segments, RotaryEmbedding rotary, ScalarType dtype, Device device)
    {
        var (batch, tokens) = (inputIds.shape[0], inputIds.shape[1]);
        foreach (var (name, ids) in new[] { (nameof(positionIds), positionIds), (nameof(sequenceIds), sequenceIds) })
        {
            if (ids.dim() != 2 || ids.shape[0] != batch || ids.shape[1] != tokens)
            {
                throw new ArgumentException(
                    $"{name} must have the shape of inputIds [{batch}, {tokens}]; got [{string.Join(", ", ids.shape)}].", name);
            }
        }
        var positions = positionIds.to(ScalarType.Int64).to(device);
        var sequences = sequenceIds.to(ScalarType.Int64).to(device);
        long longest = positions.max().item<long>() + 1;
        var (cosTable, sinTable) = rotary.Tables(longest, dtype, device);
        var flat = positions.reshape(-1);
        var cos = cosTable.index_select(0, flat).view(batch, 1, tokens, -1);
        var sin = sinTable.index_select(0, flat).view(batch, 1, tokens, -1);
        var mask = SequenceMask.PackedCausal(sequences);
        return new AttentionContext(cos, sin, mask, IsCausal: false, Cache: null)
        {
            PositionIds = positions,
            SequenceIds = sequences,
            Segments = segments,
        };
    }
}
