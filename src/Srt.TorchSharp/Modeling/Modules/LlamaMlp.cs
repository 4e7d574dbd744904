using TorchSharp;
using TorchSharp.Utils;
using Srt.TorchSharp.Kernels.Cpu;
using Srt.TorchSharp.Kernels.Cuda;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// The gated MLP: <c>down_proj(act(gate_proj(x)) * up_proj(x))</c>, with SiLU (SwiGLU, the Llama family) or, for Gemma,
/// the tanh approximation of GELU (GeGLU, <c>hidden_activation: gelu_pytorch_tanh</c>).
/// </summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")]
    private readonly LinearProjection _gateProj;

    [ComponentName(Name = "up_proj")]
    private readonly LinearProjection _upProj;

    [ComponentName(Name = "down_proj")]
    private readonly LinearProjection _downProj;

    private readonly bool _geluTanh;

    public LlamaMlp(LlamaConfig config, ScalarType dtype, Device device)
        : base(nameof(LlamaMlp))
    {
        _gateProj = new LinearProjection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        _upProj = new LinearProjection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        _downProj = new LinearProjection(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, device);
        _geluTanh = config.IsGemma;
        RegisterComponents();
    }

    /// <summary>The SwiGLU projections a fused decoding step runs (<see cref="SlotDecodeLayers"/>), or null for
    /// Gemma's GeGLU or while a LoRA adapter sits on a projection.</summary>
    public (LinearProjection Gate, LinearProjection Up, LinearProjection Down)? SwiGluProjections =>
        _geluTanh || _gateProj.Adapter is not null || _upProj.Adapter is not null || _downProj.Adapter is not null
            ? null
            : (_gateProj, _upProj, _downProj);

    public override Tensor forward(Tensor input)
    {
        if (!_geluTanh && _gateProj.Adapter is null && _upProj.Adapter is null
            && SmallRowLinear.TryGatedLinear(input, _gateProj.Weight, _gateProj.Bias, _upProj.Weight, _upProj.Bias) is { } gatedRows)
        {
            // A decoding step's few float32 rows: both products and SwiGLU in one kernel call.
            using (gatedRows)
            {
                return _downProj.forward(gatedRows);
            }
        }
        using var gate = _gateProj.forward(input);
        using var up = _upProj.forward(input);
        if (_geluTanh)
        {
            using var gelu = GeluTanh(gate);
            using var gated = gelu * up;
            return _downProj.forward(gated);
        }
        if (input.device_type == DeviceType.CUDA)
        {
            using var fused = FusedOps.SwiGlu(gate, up);
            return _downProj.forward(fused);
        }

        // In place only when no graph is recorded: autograd needs the unmodified activations for backward.
        var inference = !is_grad_enabled();
        using var activated = nn.functional.silu(gate, inplace: inference);
        using var product = inference ? activated.mul_(up) : activated * up;
        return _downProj.forward(product);
    }

    /// <summary>
    /// <c>0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))</c>, computed in float32 and rounded once to the input
    /// dtype, as PyTorch's <c>gelu(approximate="tanh")</c> does for reduced-precision inputs.
    /// </summary>
    public static Tensor GeluTanh(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dtype == ScalarType.Float32 || input.dtype == ScalarType.Float64 ? input : input.to(ScalarType.Float32);
        var inner = x.add(x.pow(HeldScalars.Of(3L)) * HeldScalars.Of(0.044715), HeldScalars.One) * HeldScalars.Of(Math.Sqrt(2.0 / Math.PI));
        var result = x * HeldScalars.Of(0.5) * inner.tanh().add(HeldScalars.Of(1.0), HeldScalars.One);
        return (result.dtype == input.dtype ? result : result.to(input.dtype)).MoveToOuterDisposeScope();
    }
}
