using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Restricts an <see cref="AttentionContext"/> to a sliding window: the query in key column q may see key column j
/// only when <c>q - j &lt; window</c> (Hugging Face's <c>sliding_window_overlay</c>: <c>kv_idx &gt; q_idx - window</c>).
/// The condition is ANDed with whatever mask the context already carries (causal, padding, per-sequence), so it
/// composes with them. Columns are cache columns, as in Hugging Face: left padding sits before a row's real tokens,
/// so a window of columns is a window of that row's tokens.
/// </summary>
internal static class SlidingWindowMask
{
    /// <summary>The context of a pass over <paramref name="tokens"/> new tokens after <paramref name="past"/> cached
    /// ones, restricted to <paramref name="window"/>. Tensors it creates belong to the caller's dispose scope.</summary>
    public static AttentionContext Apply(AttentionContext context, int window, long past, long tokens, Device device)
    {
        if (past + tokens <= window)
        {
            // The farthest key is past + tokens - 1 columns back: every key is inside the window.
            return context;
        }
        var keys = arange(HeldScalars.Of(past + tokens), ScalarType.Int64, device).unsqueeze(0);
        var queries = arange(HeldScalars.Of(past), HeldScalars.Of(past + tokens), ScalarType.Int64, device).unsqueeze(1);
        var inWindow = keys.gt(queries - HeldScalars.Of((long)window));
        Tensor mask;
        if (context.Mask is { } existing)
        {
            mask = existing.logical_and(inWindow);
        }
        else if (context.IsCausal)
        {
            mask = inWindow.logical_and_(keys.le(queries));
        }
        else
        {
            // No mask and no causal flag: one token after the cache, which may see every cached key.
            mask = inWindow;
        }
        // Per-sequence attention of a packed pass knows nothing of the window, so the layer attends through the mask.
        return context with { Mask = mask, IsCausal = false, Segments = null };
    }

    /// <summary>The context of a continuous-batching step (one token per active slot of <paramref name="cache"/>,
    /// each at its own position), restricted to <paramref name="window"/>.</summary>
    public static AttentionContext ApplyForSlots(AttentionContext context, int window, SlotKvCache cache, Device device)
    {
        var lengths = new long[cache.ActiveSlots];
        for (var slot = 0; slot < lengths.Length; slot++)
        {
            lengths[slot] = cache.Length(slot);
        }
        if (lengths.Max() + 1 <= window)
        {
            return context;
        }
        var mask = context.Mask ?? throw new InvalidOperationException("A slot step always carries a mask.");
        var width = mask.shape[^1];
        var positions = tensor(lengths, [lengths.Length], ScalarType.Int64, device);
        var inWindow = arange(HeldScalars.Of(width), ScalarType.Int64, device).unsqueeze(0).gt(positions.unsqueeze(1) - HeldScalars.Of((long)window))
            .view(lengths.Length, 1, 1, width);
        return context with { Mask = mask.logical_and(inWindow) };
    }
}
