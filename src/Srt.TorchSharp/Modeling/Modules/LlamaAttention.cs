using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Multi-head self-attention with grouped-query key/value heads, rotary embeddings and PyTorch's fused
/// scaled-dot-product attention. Keys and values are cached after rotation, as Hugging Face does.
/// </summary>
internal sealed partial class LlamaAttention : nn.Module
{
    // Null when the model fuses them into qkv_proj (Phi-3); see LlamaAttention.Projections.cs.
    [ComponentName(Name = "q_proj")]
    private readonly LinearProjection? _qProj;

    [ComponentName(Name = "k_proj")]
    private readonly LinearProjection? _kProj;

    [ComponentName(Name = "v_proj")]
    private readonly LinearProjection? _vProj;

    [ComponentName(Name = "o_proj")]
    private readonly LinearProjection _oProj;

    private readonly int _layerIndex;
    private readonly long _heads;
    private readonly long _keyValueHeads;
    private readonly long _headDim;

    public LlamaAttention(LlamaConfig config, int layerIndex, ScalarType dtype, Device device)
        : base(nameof(LlamaAttention))
    {
        _layerIndex = layerIndex;
        _heads = config.NumAttentionHeads;
        _keyValueHeads = config.KeyValueHeadCount;
        _headDim = config.HeadDimension;
        if (config.HasFusedProjections)
        {
            _qkvProj = new LinearProjection(config.HiddenSize, (_heads + 2 * _keyValueHeads) * _headDim, false, dtype, device);
        }
        else
        {
            _qProj = new LinearProjection(config.HiddenSize, _heads * _headDim, config.HasQkvBias, dtype, device);
            _kProj = new LinearProjection(config.HiddenSize, _keyValueHeads * _headDim, config.HasQkvBias, dtype, device);
            _vProj = new LinearProjection(config.HiddenSize, _keyValueHeads * _headDim, config.HasQkvBias, dtype, device);
        }
        (_qNorm, _kNorm, _qkNormPerHead) = CreateQueryKeyNorms(config, dtype, device);
        _usesRotary = config.UsesRotary(layerIndex);
        _oProj = new LinearProjection(_heads * _headDim, config.HiddenSize, config.HasOutputProjectionBias, dtype, device);
        RegisterComponents();
    }

    /// <summary>What a fused decoding step (<see cref="SlotDecodeLayers"/>) needs of this attention: its projections,
    /// this layer's slot cache, rotary tables (null without rotary) and the step's window; null where the fused step
    /// cannot run it (Phi-3's fused qkv_proj, query/key norms, or a LoRA adapter on a projection).</summary>
    public (LinearProjection Query, LinearProjection Key, LinearProjection Value, LinearProjection Output, Tensor KeyCache,
        Tensor ValueCache, Tensor? Cos, Tensor? Sin, int Heads, double Scale)? SlotStepParts(SlotDecodeStep step)
    {
        if (_qProj is null || _kProj is null || _vProj is null || _qNorm is not null
            || _qProj.Adapter is not null || _kProj.Adapter is not null || _vProj.Adapter is not null || _oProj.Adapter is not null)
        {
            return null;
        }
        return (_qProj, _kProj, _vProj, _oProj, step.Cache.Keys(_layerIndex), step.Cache.Values(_layerIndex),
            _usesRotary ? step.Cos : null, _usesRotary ? step.Sin : null, (int)_heads, 1.0 / Math.Sqrt(_headDim));
    }

    /// <summary>Attends over <paramref name="hidden"/> [B, T, hidden] (plus cached tokens) and returns [B, T, hidden].</summary>
    public Tensor Forward(Tensor hidden, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        if (context.SlotStep is { } step)
        {
            // A continuous-batching step on the CPU: the kernel rotates, writes the slot cache in place and attends.
            var (slotQuery, slotKey, slotValue) = ProjectSlotRows(hidden, context);
            var slotAttended = SlotDecodeAttention.Attend(
                slotQuery, slotKey, slotValue, step.Cache.Keys(_layerIndex), step.Cache.Values(_layerIndex), step.Positions,
                _usesRotary ? step.Cos : null, _usesRotary ? step.Sin : null, (int)_heads, step.Window, 1.0 / Math.Sqrt(_headDim), softcap: null);
            return _oProj.forward(slotAttended).MoveToOuterDisposeScope();
        }
        var shape = hidden.shape;
        var (batch, tokens) = (shape[0], shape[1]);
        var (query, key, value) = ProjectQueryKeyValue(hidden, context, rotate: true);
        if (context.Cache is { } cache)
        {
            (key, value) = cache.Append(_layerIndex, key, value);
        }
        Tensor attended;
        if (tokens == 1 && _heads != _keyValueHeads)
        {
            // Decoding one token with GQA: fold each group's query heads into the query axis of its key/value head,
            // so SDPA reads the cache as is instead of a copy repeated per query head. One query position needs no
            // causal mask, and a padding mask [B, 1, 1, S] broadcasts over the folded axis.
            var grouped = query.reshape(batch, _keyValueHeads, _heads / _keyValueHeads, _headDim);
            attended = nn.functional.scaled_dot_product_attention(grouped, key, value, context.Mask, 0.0, false)
                .reshape(batch, _heads, 1, _headDim);
        }
        else
        {
            // SDPA in TorchSharp has no GQA flag: each key/value head is repeated for the query heads it serves.
            var repeatedKey = KeyValueHeads.Repeat(key, _heads, _keyValueHeads);
            var repeatedValue = KeyValueHeads.Repeat(value, _heads, _keyValueHeads);
            attended = context.Segments is { } segments
                ? SegmentedAttention.Attend(query, repeatedKey, repeatedValue, segments)
                : nn.functional.scaled_dot_product_attention(query, repeatedKey, repeatedValue, context.Mask, 0.0, context.IsCausal);
        }
        var merged = attended.transpose(1, 2).reshape(batch, tokens, _heads * _headDim);
        return _oProj.forward(merged).MoveToOuterDisposeScope();
    }
}
