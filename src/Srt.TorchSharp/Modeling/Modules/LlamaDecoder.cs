using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>The decoder stack (<c>model.*</c> in Hugging Face names): embeddings, layers and the final norm.</summary>
internal sealed class LlamaDecoder : nn.Module
{
    [ComponentName(Name = "embed_tokens")]
    private readonly TokenEmbedding _embedTokens;

    [ComponentName(Name = "layers")]
    private readonly ModuleList<nn.Module> _layers;

    [ComponentName(Name = "norm")]
    private readonly nn.Module<Tensor, Tensor> _norm;

    private readonly LayerAttentionPlan _plan;

    // Gemma multiplies the embeddings by sqrt(hidden_size), rounded to the hidden dtype first (HF's normalizer).
    private readonly double? _embeddingScale;

    public LlamaDecoder(LlamaConfig config, ScalarType dtype, Device device)
        : base(nameof(LlamaDecoder))
    {
        _embedTokens = new TokenEmbedding(config.VocabSize, config.HiddenSize, dtype, device);
        _layers = new ModuleList<nn.Module>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => CreateLayer(config, i, dtype, device)).ToArray());
        _norm = config.IsGemma
            ? new GemmaRmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device)
            : new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        _plan = new LayerAttentionPlan(config);
        _embeddingScale = config.IsGemma ? Math.Sqrt(config.HiddenSize) : null;
        RegisterComponents();
    }

    /// <summary>The layer a family uses: Gemma's sandwich-norm layer, or the Llama pre-norm layer.</summary>
    private static nn.Module CreateLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device device) =>
        config.IsGemma
            ? new GemmaDecoderLayer(config, layerIndex, dtype, device)
            : new LlamaDecoderLayer(config, layerIndex, dtype, device);

    public TokenEmbedding EmbedTokens => _embedTokens;

    /// <summary>The rotary tables of the first layer.</summary>
    public RotaryEmbedding Rotary => _plan.FirstRotary;

    public int LayerCount => _layers.Count;

    /// <summary>Runs the stack over <paramref name="inputIds"/> [B, T] and returns normed hidden states [B, T, hidden].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var hidden = Embed(inputIds);
        var contexts = _plan.Build(inputIds, attentionMask, cache, hidden.dtype, hidden.device);
        for (var i = 0; i < _layers.Count; i++)
        {
            hidden = ((IDecoderLayer)_layers[i]).Forward(hidden, contexts[i]);
        }
        cache?.Advance(inputIds.shape[1]);
        return _norm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Runs one token per active slot of <paramref name="cache"/> (<paramref name="inputIds"/> [active, 1]),
    /// each at its own position, and returns normed hidden states [active, 1, hidden].</summary>
    public Tensor ForwardSlots(Tensor inputIds, SlotKvCache cache)
    {
        using var scope = NewDisposeScope();
        var hidden = Embed(inputIds);
        var contexts = _plan.BuildForSlots(cache, hidden.dtype, hidden.device);
        for (var i = 0; i < _layers.Count; i++)
        {
            hidden = ((IDecoderLayer)_layers[i]).Forward(hidden, contexts[i]);
        }
        ((IAttentionCache)cache).Advance(1);
        return _norm.forward(hidden).MoveToOuterDisposeScope();
    }

    private Tensor Embed(Tensor inputIds)
    {
        var hidden = _embedTokens.forward(inputIds);
        if (_embeddingScale is { } scale)
        {
            using var normalizer = tensor(scale, hidden.dtype, hidden.device);
            hidden = hidden * normalizer;
        }
        return hidden;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _plan.Dispose();
        }
        base.Dispose(disposing);
    }
}
