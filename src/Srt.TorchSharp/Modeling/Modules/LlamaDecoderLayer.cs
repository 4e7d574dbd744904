using Srt.TorchSharp.Kernels.Cpu;
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

    /// <summary>This layer as one layer of a fused decoding step (<see cref="SlotDecodeLayers"/>), or null where the
    /// fused step cannot run it (see <see cref="LlamaAttention.SlotStepParts"/> and <see cref="LlamaMlp.SwiGluProjections"/>).</summary>
    public SlotDecodeLayer? ForSlotStep(SlotDecodeStep step)
    {
        if (_selfAttn.SlotStepParts(step) is not { } attention || _mlp is not LlamaMlp { SwiGluProjections: { } mlp })
        {
            return null;
        }
        return new SlotDecodeLayer(
            _inputLayernorm.Weight, _postAttentionLayernorm.Weight, _inputLayernorm.Epsilon,
            attention.Query.Weight, attention.Query.Bias, attention.Key.Weight, attention.Key.Bias, attention.Value.Weight, attention.Value.Bias,
            attention.Output.Weight, attention.Output.Bias,
            mlp.Gate.Weight, mlp.Gate.Bias, mlp.Up.Weight, mlp.Up.Bias, mlp.Down.Weight, mlp.Down.Bias,
            attention.KeyCache, attention.ValueCache, attention.Cos, attention.Sin, attention.Heads, step.Window, attention.Scale);
    }

    public override Tensor Forward(Tensor hidden, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        var attended = hidden.add(_selfAttn.Forward(_inputLayernorm.forward(hidden), context), HeldScalars.One);
        var output = attended.add(_mlp.forward(_postAttentionLayernorm.forward(attended)), HeldScalars.One);
        return output.MoveToOuterDisposeScope();
    }
}
