using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Turns (input ids, optional padding mask, optional cache) into one <see cref="AttentionContext"/>: positions,
/// rotary angles and the attention mask shared by every layer. Tensors it creates belong to the caller's dispose scope.
/// </summary>
internal static class AttentionInputs
{
    public static AttentionContext Build(
        Tensor inputIds, Tensor? attentionMask, KvCache? cache, RotaryEmbedding rotary, ScalarType dtype, Device device)
    {
        var (batch, tokens) = (inputIds.shape[0], inputIds.shape[1]);
        var past = cache?.Length ?? 0;
        var total = past + tokens;
        var (cosTable, sinTable) = rotary.Tables(total, dtype, device);

        if (attentionMask is null)
        {
            // Every row holds real tokens at positions past .. past+T-1: slice the tables, no gather needed.
            var cos = cosTable.narrow(0, past, tokens);
            var sin = sinTable.narrow(0, past, tokens);
            if (past == 0)
            {
                return new AttentionContext(cos, sin, null, IsCausal: tokens > 1, cache);
            }
            // One new token sees everything cached; several need a causal mask offset by the cache length
            // (SDPA's is_causal aligns top-left, which is wrong once keys outnumber queries).
            var mask = tokens == 1 ? null : CausalMask(tokens, past, device);
            return new AttentionContext(cos, sin, mask, IsCausal: false, cache);
        }

        if (attentionMask.dim() != 2 || attentionMask.shape[0] != batch || attentionMask.shape[1] != total)
        {
            throw new ArgumentException(
                $"attentionMask must have shape [batch, cached + new tokens] = [{batch}, {total}] " +
                $"(cache holds {past}); got [{string.Join(", ", attentionMask.shape)}].",
                nameof(attentionMask));
        }
        var valid = attentionMask.device_type == device.type ? attentionMask : attentionMask.to(device);
        valid = valid.dtype == ScalarType.Bool ? valid : valid.ne(HeldScalars.Of(0L));

        // Left padding: a token's position counts only the real tokens before it (HF generate's position_ids).
        var positions = valid.to(ScalarType.Int64).cumsum(-1).sub_(HeldScalars.Of(1L)).clamp_min_(HeldScalars.Of(0L)).narrow(1, past, tokens).reshape(-1);
        var rowCos = cosTable.index_select(0, positions).view(batch, 1, tokens, -1);
        var rowSin = sinTable.index_select(0, positions).view(batch, 1, tokens, -1);

        // Attend to real, earlier-or-same keys. Each query also sees its own key, so a padding query has at least
        // one key and SDPA gives finite values instead of NaN (real tokens never look at padding).
        var causal = CausalMask(tokens, past, device);
        var allowed = causal.unsqueeze(0).logical_and(valid.unsqueeze(1));
        var self = SelfMask(tokens, past, device);
        var combined = allowed.logical_or_(self.unsqueeze(0)).unsqueeze(1);
        return new AttentionContext(rowCos, rowSin, combined, IsCausal: false, cache);
    }

    /// <summary>
    /// One token per slot of a <see cref="SlotKvCache"/>: each row rotates by its own position and sees the key columns
    /// up to and including its own (the columns past a shorter slot's length hold stale keys and stay masked).
    /// </summary>
    public static AttentionContext BuildForSlots(SlotKvCache cache, RotaryEmbedding rotary, ScalarType dtype, Device device)
    {
        var (positions, width) = cache.BeginStep(device);
        var rows = positions.shape[0];
        var (cosTable, sinTable) = rotary.Tables(width, dtype, device);
        var cos = cosTable.index_select(0, positions).view(rows, 1, 1, -1);
        var sin = sinTable.index_select(0, positions).view(rows, 1, 1, -1);
        var mask = arange(HeldScalars.Of(width), ScalarType.Int64, device).unsqueeze(0).le(positions.unsqueeze(1)).view(rows, 1, 1, width);
        return new AttentionContext(cos, sin, mask, IsCausal: false, cache);
    }

    /// <summary>[T, past+T] boolean: query i may see key j when j ≤ past + i.</summary>
    private static Tensor CausalMask(long tokens, long past, Device device)
    {
        var keys = arange(HeldScalars.Of(past + tokens), ScalarType.Int64, device).unsqueeze(0);
        var queries = arange(HeldScalars.Of(past), HeldScalars.Of(past + tokens), ScalarType.Int64, device).unsqueeze(1);
        return keys.le(queries);
    }

    private static Tensor SelfMask(long tokens, long past, Device device)
    {
        var keys = arange(HeldScalars.Of(past + tokens), ScalarType.Int64, device).unsqueeze(0);
        var queries = arange(HeldScalars.Of(past), HeldScalars.Of(past + tokens), ScalarType.Int64, device).unsqueeze(1);
        return keys.eq(queries);
    }
}
