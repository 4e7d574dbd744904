using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>One pre-norm decoder layer: <c>x + attn(norm(x))</c>, then <c>x + mlp(norm(x))</c>.</summary>
internal sealed class LlamaDecoderLayer : DecoderLayer
{
    [ComponentName(Name = "self_attn")]
    private readonly LlamaAttention _selfAttn;

    [ComponentName(Name = "mlp")]
    private readonly nn.Module<Tensor, Tensor> _mlp;

    [ComponentName(Name = "input_layernorm")]
    private readonly RmsNorm _inputLayernorm;

    [ComponentName(Name = "post_attention_layernorm")]
    private readonly RmsNorm _postAttentionLayernorm;

    public LlamaDecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device device)
        : base(nameof(LlamaDecoderLayer))
    {
        _selfAttn = new LlamaAttention(config, layerIndex, dtype, device);
        _mlp = CreateMlp(config, dtype, device);
        _inputLayernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        _postAttentionLayernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor hidden, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        var attended = hidden.add(_selfAttn.Forward(_inputLayernorm.forward(hidden), context), HeldScalars.One);
        var output = attended.add(_mlp.forward(_postAttentionLayernorm.forward(attended)), HeldScalars.One);
        return output.MoveToOuterDisposeScope();
    }
}
