using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// OLMo 2's decoder layer: no norm on the way in; each sublayer's output is normed before the residual add,
/// <c>x + post_attention_layernorm(attn(x))</c>, then <c>x + post_feedforward_layernorm(mlp(x))</c>. OLMo 2's norms
/// multiply by their weight before rounding to the model dtype.
/// </summary>
internal sealed class PostNormDecoderLayer : DecoderLayer
{
    [ComponentName(Name = "self_attn")]
    private readonly LlamaAttention _selfAttn;

    [ComponentName(Name = "mlp")]
    private readonly nn.Module<Tensor, Tensor> _mlp;

    [ComponentName(Name = "post_attention_layernorm")]
    private readonly RmsNorm _postAttentionLayernorm;

    [ComponentName(Name = "post_feedforward_layernorm")]
    private readonly RmsNorm _postFeedforwardLayernorm;

    public PostNormDecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device device)
        : base(nameof(PostNormDecoderLayer))
    {
        _selfAttn = new LlamaAttention(config, layerIndex, dtype, device);
        _mlp = CreateMlp(config, dtype, device);
        _postAttentionLayernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, weightBeforeRounding: true);
        _postFeedforwardLayernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, weightBeforeRounding: true);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor hidden, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        var attended = hidden.add(_postAttentionLayernorm.forward(_selfAttn.Forward(hidden, context)), HeldScalars.One);
        var output = attended.add(_postFeedforwardLayernorm.forward(_mlp.forward(attended)), HeldScalars.One);
        return output.MoveToOuterDisposeScope();
    }
}
