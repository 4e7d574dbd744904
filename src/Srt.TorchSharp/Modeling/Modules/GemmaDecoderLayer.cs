using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// One Gemma 2 / Gemma 3 decoder layer, with a norm on each side of attention and of the MLP:
/// <c>x + post_attention_layernorm(attn(input_layernorm(x)))</c>, then
/// <c>h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))</c>.
/// </summary>
internal sealed class GemmaDecoderLayer : DecoderLayer
{
    [ComponentName(Name = "self_attn")]
    private readonly GemmaAttention _selfAttn;

    [ComponentName(Name = "mlp")]
    private readonly LlamaMlp _mlp;

    [ComponentName(Name = "input_layernorm")]
    private readonly GemmaRmsNorm _inputLayernorm;

    [ComponentName(Name = "post_attention_layernorm")]
    private readonly GemmaRmsNorm _postAttentionLayernorm;

    [ComponentName(Name = "pre_feedforward_layernorm")]
    private readonly GemmaRmsNorm _preFeedforwardLayernorm;

    [ComponentName(Name = "post_feedforward_layernorm")]
    private readonly GemmaRmsNorm _postFeedforwardLayernorm;

    public GemmaDecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device device)
        : base(nameof(GemmaDecoderLayer))
    {
        _selfAttn = new GemmaAttention(config, layerIndex, dtype, device);
        _mlp = new LlamaMlp(config, dtype, device);
        _inputLayernorm = new GemmaRmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        _postAttentionLayernorm = new GemmaRmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        _preFeedforwardLayernorm = new GemmaRmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        _postFeedforwardLayernorm = new GemmaRmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor hidden, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        var attended = _postAttentionLayernorm.forward(_selfAttn.Forward(_inputLayernorm.forward(hidden), context));
        var afterAttention = hidden.add(attended, HeldScalars.One);
        var fed = _postFeedforwardLayernorm.forward(_mlp.forward(_preFeedforwardLayernorm.forward(afterAttention)));
        return afterAttention.add(fed, HeldScalars.One).MoveToOuterDisposeScope();
    }
}
