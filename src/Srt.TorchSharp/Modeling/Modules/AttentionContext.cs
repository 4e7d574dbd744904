using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// What every layer's attention needs for one forward pass, computed once per pass: rotary angles for the new tokens,
/// the attention mask (or the causal fast path) and the cache to append to.
/// </summary>
/// <param name="Cos">Rotary cos, broadcastable to [B, heads, T, D]: [T, D] when all rows share positions, else [B, 1, T, D].</param>
/// <param name="Sin">Rotary sin, shaped as <paramref name="Cos"/>.</param>
/// <param name="Mask">Boolean mask (true = attend) broadcastable to [B, heads, T, S], or null.</param>
/// <param name="IsCausal">Whether to ask SDPA for its causal fast path (only without mask and cache).</param>
/// <param name="Cache">The cache to append new keys/values to, or null.</param>
internal sealed record AttentionContext(Tensor Cos, Tensor Sin, Tensor? Mask, bool IsCausal, IAttentionCache? Cache)
{
    /// <summary>Per-token positions [B, T] when the pass holds packed sequences (each restarts at 0), else null.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>Per-token sequence ids [B, T] of packed sequences (a token attends only within its own), else null.</summary>
    public Tensor? SequenceIds { get; init; }

    /// <summary>Where the packed sequences lie in each row, for layers that attend one sequence at a time (no masked
    /// work); null when the pass is not packed. <see cref="Mask"/> always holds the same rule as a boolean mask.</summary>
    public PackedSegments? Segments { get; init; }

    /// <summary>Set when a continuous-batching step runs its attention in the CPU slot kernel: the layer projects, then
    /// hands query, key and value to <see cref="Kernels.Cpu.SlotDecodeAttention"/>, which writes and reads the slot
    /// cache in place. <see cref="Cos"/> and <see cref="Sin"/> then hold the whole tables and <see cref="Mask"/> is null.</summary>
    public SlotDecodeStep? SlotStep { get; init; }

    /// <summary>Every tensor of the context, in a fixed order (for activation checkpointing, which must keep them alive
    /// until backward). A tensor field added to this record belongs here and in <see cref="WithTensors"/>.</summary>
    public IReadOnlyList<Tensor?> Tensors => [Cos, Sin, Mask, PositionIds, SequenceIds];

    /// <summary>This context with its tensors replaced by <paramref name="tensors"/>, in <see cref="Tensors"/>' order.</summary>
    public AttentionContext WithTensors(IReadOnlyList<Tensor?> tensors) =>
        this with { Cos = tensors[0]!, Sin = tensors[1]!, Mask = tensors[2], PositionIds = tensors[3], SequenceIds = tensors[4] };
}
