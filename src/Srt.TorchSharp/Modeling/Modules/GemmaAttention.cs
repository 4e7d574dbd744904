using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Gemma 2 / Gemma 3 self-attention, computed explicitly as Hugging Face's eager path: scores scaled by
/// <c>query_pre_attn_scalar^-1/2</c>, soft-capped (<c>tanh(s / cap) · cap</c>, Gemma 2) before the mask, softmax in
/// float32. Gemma 3 normalises queries and keys per head (<c>q_norm</c>, <c>k_norm</c>) before the rotation. SDPA has
/// no soft-capping, hence the explicit path.
/// </summary>
internal sealed class GemmaAttention : nn.Module
{
    [ComponentName(Name = "q_proj")]
    private readonly LinearProjection _qProj;

    [ComponentName(Name = "k_proj")]
    private readonly LinearProjection _kProj;

    [ComponentName(Name = "v_proj")]
    private readonly LinearProjection _vProj;

    [ComponentName(Name = "o_proj")]
    private readonly LinearProjection _oProj;

    [ComponentName(Name = "q_norm")]
    private readonly GemmaRmsNorm? _qNorm;

    [ComponentName(Name = "k_norm")]
    private readonly GemmaRmsNorm? _kNorm;

    private readonly int _layerIndex;
    private readonly long _heads;
    private readonly long _keyValueHeads;
    private readonly long _headDim;
    private readonly double _scale;
    private readonly double? _softcap;

    public GemmaAttention(LlamaConfig config, int layerIndex, ScalarType dtype, Device device)
        : base(nameof(GemmaAttention))
    {
        _layerIndex = layerIndex;
        _heads = config.NumAttentionHeads;
        _keyValueHeads = config.KeyValueHeadCount;
        _headDim = config.HeadDimension;
        _scale = config.AttentionScale;
        _softcap = config.AttnLogitSoftcapping;
        _qProj = new LinearProjection(config.HiddenSize, _heads * _headDim, config.HasQkvBias, dtype, device);
        _kProj = new LinearProjection(config.HiddenSize, _keyValueHeads * _headDim, config.HasQkvBias, dtype, device);
        _vProj = new LinearProjection(config.HiddenSize, _keyValueHeads * _headDim, config.HasQkvBias, dtype, device);
        _oProj = new LinearProjection(_heads * _headDim, config.HiddenSize, config.HasOutputProjectionBias, dtype, device);
        if (config.IsGemma3Text)
        {
            _qNorm = new GemmaRmsNorm(_headDim, config.RmsNormEps, dtype, device);
            _kNorm = new GemmaRmsNorm(_headDim, config.RmsNormEps, dtype, device);
        }
        RegisterComponents();
    }

    /// <summary>Attends over <paramref name="hidden"/> [B, T, hidden] (plus cached tokens) and returns [B, T, hidden].</summary>
    public Tensor Forward(Tensor hidden, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens) = (hidden.shape[0], hidden.shape[1]);
        var query = _qProj.forward(hidden).view(batch, tokens, _heads, _headDim).transpose(1, 2);
        var key = _kProj.forward(hidden).view(batch, tokens, _keyValueHeads, _headDim).transpose(1, 2);
        var value = _vProj.forward(hidden).view(batch, tokens, _keyValueHeads, _headDim).transpose(1, 2);
        if (_qNorm is not null && _kNorm is not null)
        {
            query = _qNorm.forward(query);
            key = _kNorm.forward(key);
        }
        if (context.SlotStep is { } step)
        {
            // A continuous-batching step on the CPU: the kernel rotates, writes the slot cache in place and attends,
            // with this layer's scale and soft cap.
            var slotAttended = SlotDecodeAttention.Attend(
                query, key, value, step.Cache.Keys(_layerIndex), step.Cache.Values(_layerIndex), step.Positions,
                step.Cos, step.Sin, (int)_heads, step.Window, _scale, _softcap);
            return _oProj.forward(slotAttended).MoveToOuterDisposeScope();
        }
        query = RotaryEmbedding.Apply(query, context.Cos, context.Sin);
        key = RotaryEmbedding.Apply(key, context.Cos, context.Sin);
        if (context.Cache is { } cache)
        {
            (key, value) = cache.Append(_layerIndex, key, value);
        }
        key = KeyValueHeads.Repeat(key, _heads, _keyValueHeads);
        value = KeyValueHeads.Repeat(value, _heads, _keyValueHeads);

        var scores = query.matmul(key.transpose(2, 3)) * HeldScalars.Of(_scale);
        if (_softcap is { } cap)
        {
            scores = (scores / HeldScalars.Of(cap)).tanh() * HeldScalars.Of(cap);
        }
        if (Mask(context, tokens, key.shape[2], hidden.device) is { } allowed)
        {
            scores = scores.masked_fill(allowed.logical_not(), HeldScalars.Of(double.NegativeInfinity));
        }
        var probabilities = scores.softmax(-1, ScalarType.Float32).to(query.dtype);
        var attended = probabilities.matmul(value);
        var merged = attended.transpose(1, 2).reshape(batch, tokens, _heads * _headDim);
        return _oProj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>The context's mask, or the causal mask its SDPA fast path stands for.</summary>
    private static Tensor? Mask(AttentionContext context, long tokens, long keys, Device device)
    {
        if (context.Mask is { } mask)
        {
            return mask;
        }
        if (!context.IsCausal)
        {
            return null;
        }
        var past = keys - tokens;
        var keyColumns = arange(HeldScalars.Of(keys), ScalarType.Int64, device).unsqueeze(0);
        var queryColumns = arange(HeldScalars.Of(past), HeldScalars.Of(keys), ScalarType.Int64, device).unsqueeze(1);
        return keyColumns.le(queryColumns);
    }
}
