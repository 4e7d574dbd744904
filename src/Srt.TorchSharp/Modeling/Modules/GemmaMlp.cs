using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>Gemma's GeGLU MLP: <c>down_proj(gelu_tanh(gate_proj(x)) * up_proj(x))</c>, with the tanh approximation of
/// GELU (<c>hidden_activation: gelu_pytorch_tanh</c>).</summary>
internal sealed class GemmaMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")]
    private readonly LinearProjection _gateProj;

    [ComponentName(Name = "up_proj")]
    private readonly LinearProjection _upProj;

    [ComponentName(Name = "down_proj")]
    private readonly LinearProjection _downProj;

    public GemmaMlp(LlamaConfig config, ScalarType dtype, Device device)
        : base(nameof(GemmaMlp))
    {
        _gateProj = new LinearProjection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        _upProj = new LinearProjection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        _downProj = new LinearProjection(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var gate = _gateProj.forward(input);
        var activated = GeluTanh(gate);
        return _downProj.forward(activated * _upProj.forward(input)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))</c>, computed in float32 and rounded once to the input
    /// dtype, as PyTorch's <c>gelu(approximate="tanh")</c> does for reduced-precision inputs.
    /// </summary>
    public static Tensor GeluTanh(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dtype == ScalarType.Float32 || input.dtype == ScalarType.Float64 ? input : input.to(ScalarType.Float32);
        var inner = (x + x.pow(3) * 0.044715) * Math.Sqrt(2.0 / Math.PI);
        var result = x * 0.5 * (inner.tanh() + 1.0);
        return (result.dtype == input.dtype ? result : result.to(input.dtype)).MoveToOuterDisposeScope();
    }
}
