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
    private readonly ModuleList<DecoderLayer> _layers;

    [ComponentName(Name = "norm")]
    private readonly RmsNorm _norm;

    private readonly RotaryEmbedding _rotary;

    public LlamaDecoder(LlamaConfig config, ScalarType dtype, Device device)
        : base(nameof(LlamaDecoder))
    {
        _embedTokens = new TokenEmbedding(config.VocabSize, config.HiddenSize, dtype, device);
        _layers = new ModuleList<DecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => DecoderLayer.Create(config, i, dtype, device)).ToArray());
        _norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, weightBeforeRounding: config.IsPostNorm);
        _rotary = new RotaryEmbedding(config);
        RegisterComponents();
    }

    public TokenEmbedding EmbedTokens => _embedTokens;

    public RotaryEmbedding Rotary => _rotary;

    public int LayerCount => _layers.Count;

    /// <summary>Runs the stack over <paramref name="inputIds"/> [B, T] and returns normed hidden states [B, T, hidden].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var hidden = _embedTokens.forward(inputIds);
        var context = AttentionInputs.Build(inputIds, attentionMask, cache, _rotary, hidden.dtype, hidden.device);
        foreach (var layer in _layers)
        {
            hidden = layer.Forward(hidden, context);
        }
        cache?.Advance(inputIds.shape[1]);
        return _norm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Runs one token per active slot of <paramref name="cache"/> (<paramref name="inputIds"/> [active, 1]),
    /// each at its own position, and returns normed hidden states [active, 1, hidden].</summary>
    public Tensor ForwardSlots(Tensor inputIds, SlotKvCache cache)
    {
        using var scope = NewDisposeScope();
        var hidden = _embedTokens.forward(inputIds);
        var context = AttentionInputs.BuildForSlots(cache, _rotary, hidden.dtype, hidden.device);
        foreach (var layer in _layers)
        {
            hidden = layer.Forward(hidden, context);
        }
        ((IAttentionCache)cache).Advance(1);
        return _norm.forward(hidden).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rotary.Dispose();
        }
        base.Dispose(disposing);
    }
}
