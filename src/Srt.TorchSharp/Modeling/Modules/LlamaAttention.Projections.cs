using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// The family-specific first half of attention: from hidden states to rotated query, key and value heads. Llama,
/// Mistral and Qwen2 project with q_proj/k_proj/v_proj; Phi-3 with one fused <c>qkv_proj</c> split in the order
/// q, k, v; Qwen3 normalises each query and key head (<c>q_norm</c>/<c>k_norm</c> [head_dim]) and OLMo 2 the whole
/// query and key projections (<c>q_norm</c> [heads·head_dim], <c>k_norm</c> [kv_heads·head_dim]) before rotary;
/// Phi-3 rotates only the first <c>partial_rotary_factor</c> of each head, and SmolLM3's NoPE layers none of it.
/// </summary>
internal sealed partial class LlamaAttention
{
    [ComponentName(Name = "qkv_proj")]
    private readonly LinearProjection? _qkvProj;

    [ComponentName(Name = "q_norm")]
    private readonly RmsNorm? _qNorm;

    [ComponentName(Name = "k_norm")]
    private readonly RmsNorm? _kNorm;

    private readonly bool _qkNormPerHead;
    private readonly bool _usesRotary;

    private (RmsNorm? Query, RmsNorm? Key, bool PerHead) CreateQueryKeyNorms(LlamaConfig config, ScalarType dtype, Device device)
    {
        if (config.HasPerHeadQkNorm)
        {
            return (new RmsNorm(_headDim, config.RmsNormEps, dtype, device), new RmsNorm(_headDim, config.RmsNormEps, dtype, device), true);
        }
        if (config.IsPostNorm)
        {
            return (new RmsNorm(_heads * _headDim, config.RmsNormEps, dtype, device, weightBeforeRounding: true),
                new RmsNorm(_keyValueHeads * _headDim, config.RmsNormEps, dtype, device, weightBeforeRounding: true), false);
        }
        return (null, null, false);
    }

    /// <summary>Query [B, heads, T, D], key and value [B, kv_heads, T, D], rotated where the layer uses rotary and
    /// <paramref name="rotate"/> asks for it (the slot kernel rotates by itself).</summary>
    private (Tensor Query, Tensor Key, Tensor Value) ProjectQueryKeyValue(Tensor hidden, AttentionContext context, bool rotate)
    {
        var (batch, tokens) = (hidden.shape[0], hidden.shape[1]);
        var (query, key, value) = Project(hidden);
        if (_qNorm is not null && !_qkNormPerHead)
        {
            query = _qNorm.forward(query);
            key = _kNorm!.forward(key);
        }
        query = query.view(batch, tokens, _heads, _headDim);
        key = key.view(batch, tokens, _keyValueHeads, _headDim);
        if (_qNorm is not null && _qkNormPerHead)
        {
            query = _qNorm.forward(query);
            key = _kNorm!.forward(key);
        }
        query = query.transpose(1, 2);
        key = key.transpose(1, 2);
        value = value.view(batch, tokens, _keyValueHeads, _headDim).transpose(1, 2);
        if (_usesRotary && rotate)
        {
            query = RotaryEmbedding.ApplyPartial(query, context.Cos, context.Sin);
            key = RotaryEmbedding.ApplyPartial(key, context.Cos, context.Sin);
        }
        return (query, key, value);
    }

    /// <summary>For the slot kernel, which takes each row's heads side by side: query [B, 1, heads·D], key and value
    /// [B, 1, kv_heads·D], unrotated; with query/key norms, the heads as <see cref="ProjectQueryKeyValue"/> gives them.</summary>
    private (Tensor Query, Tensor Key, Tensor Value) ProjectSlotRows(Tensor hidden, AttentionContext context) =>
        _qNorm is null ? Project(hidden) : ProjectQueryKeyValue(hidden, context, rotate: false);

    /// <summary>The three projections [B, T, width], from q/k/v_proj or split from the fused qkv_proj.</summary>
    private (Tensor Query, Tensor Key, Tensor Value) Project(Tensor hidden)
    {
        if (_qkvProj is null)
        {
            return (_qProj!.forward(hidden), _kProj!.forward(hidden), _vProj!.forward(hidden));
        }
        var fused = _qkvProj.forward(hidden);
        return (fused.narrow(-1, 0, _heads * _headDim), fused.narrow(-1, _heads * _headDim, _keyValueHeads * _headDim),
            fused.narrow(-1, (_heads + _keyValueHeads) * _headDim, _keyValueHeads * _headDim));
    }
}
