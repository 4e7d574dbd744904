using Srt.TorchSharp.Kernels.Cpu;
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
    private readonly nn.Module<Tensor, Tensor> _norm;

    private readonly LayerAttentionPlan _plan;

    // Gemma multiplies the embeddings by sqrt(hidden_size), rounded to the hidden dtype first (HF's normalizer).
    private readonly double? _embeddingScale;

    public LlamaDecoder(LlamaConfig config, ScalarType dtype, Device device)
        : base(nameof(LlamaDecoder))
    {
        _embedTokens = new TokenEmbedding(config.VocabSize, config.HiddenSize, dtype, device);
        _layers = new ModuleList<DecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => DecoderLayer.Create(config, i, dtype, device)).ToArray());
        _norm = config.IsGemma
            ? new GemmaRmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device)
            : new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, weightBeforeRounding: config.IsPostNorm);
        _plan = new LayerAttentionPlan(config);
        _embeddingScale = config.IsGemma ? Math.Sqrt(config.HiddenSize) : null;
        RegisterComponents();
    }

    public TokenEmbedding EmbedTokens => _embedTokens;

    /// <summary>The rotary tables of the first layer.</summary>
    public RotaryEmbedding Rotary => _plan.FirstRotary;

    public int LayerCount => _layers.Count;

    /// <summary>Gets or sets whether <see cref="Forward"/> checkpoints each layer while gradients are recorded (only its
    /// input is kept; backward recomputes it), in <see cref="Forward"/> and <see cref="ForwardPacked"/>. No effect on no-grad
    /// passes, cached passes or <see cref="ForwardSlots"/>.</summary>
    public bool CheckpointLayers { get; set; }

    /// <summary>Runs the stack over <paramref name="inputIds"/> [B, T] and returns normed hidden states [B, T, hidden].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var hidden = Embed(inputIds);
        var contexts = _plan.Build(inputIds, attentionMask, cache, hidden.dtype, hidden.device);
        hidden = RunLayers(hidden, contexts, checkpoint: CheckpointLayers && cache is null && is_grad_enabled());
        cache?.Advance(inputIds.shape[1]);
        return _norm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Runs the stack over packed rows <paramref name="inputIds"/> [B, T]: several sequences per row, each with
    /// its own positions, none attending to another. Returns normed hidden states [B, T, hidden].</summary>
    public Tensor ForwardPacked(Tensor inputIds, Tensor positionIds, Tensor sequenceIds, PackedSegments? segments)
    {
        using var scope = NewDisposeScope();
        var hidden = Embed(inputIds);
        var contexts = _plan.BuildPacked(inputIds, positionIds, sequenceIds, segments, hidden.dtype, hidden.device);
        hidden = RunLayers(hidden, contexts, checkpoint: CheckpointLayers && is_grad_enabled());
        return _norm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Runs every layer with its own context; with <paramref name="checkpoint"/>, each keeps only its input and
    /// is recomputed in backward.</summary>
    private Tensor RunLayers(Tensor hidden, AttentionContext[] contexts, bool checkpoint)
    {
        for (var i = 0; i < _layers.Count; i++)
        {
            var (layer, context) = (_layers[i], contexts[i]);
            hidden = checkpoint
                ? ActivationCheckpoint.Run(hidden, context.Tensors, (input, tensors) => layer.Forward(input, context.WithTensors(tensors)))
                : layer.Forward(hidden, context);
        }
        return hidden;
    }

    /// <summary>Runs one token per active slot of <paramref name="cache"/> (<paramref name="inputIds"/> [active, 1]),
    /// each at its own position, and returns normed hidden states [active, 1, hidden].</summary>
    public Tensor ForwardSlots(Tensor inputIds, SlotKvCache cache)
    {
        using var scope = NewDisposeScope();
        var hidden = Embed(inputIds);
        var contexts = _plan.BuildForSlots(cache, hidden.dtype, hidden.device, SlotDecodeAttention.Applies(hidden.dtype, hidden.device));
        hidden = RunFused(hidden, contexts) ?? RunLayers(hidden, contexts, checkpoint: false);
        ((IAttentionCache)cache).Advance(1);
        return _norm.forward(hidden).MoveToOuterDisposeScope();
    }

    // Every layer of the step in one parallel run where each is a plain pre-norm SwiGLU layer the kernel takes.
    private Tensor? RunFused(Tensor hidden, AttentionContext[] contexts)
    {
        if (!SlotDecodeLayers.Enabled || contexts.Length == 0 || contexts[0].SlotStep is not { } first)
        {
            return null;
        }
        var layers = new SlotDecodeLayer[_layers.Count];
        for (var i = 0; i < layers.Length; i++)
        {
            if (_layers[i] is not LlamaDecoderLayer layer || contexts[i].SlotStep is not { } step || layer.ForSlotStep(step) is not { } fused)
            {
                return null;
            }
            layers[i] = fused;
        }
        return SlotDecodeLayers.TryRun(hidden, layers, first.Positions);
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
