using TorchSharp;
using TorchSharp.Utils;
using Srt.TorchSharp.Kernels.Cuda;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>The SwiGLU MLP: <c>down_proj(silu(gate_proj(x)) * up_proj(x))</c>.</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")]
    private readonly LinearProjection _gateProj;

    [ComponentName(Name = "up_proj")]
    private readonly LinearProjection _upProj;

    [ComponentName(Name = "down_proj")]
    private readonly LinearProjection _downProj;

    public LlamaMlp(LlamaConfig config, ScalarType dtype, Device device)
        : base(nameof(LlamaMlp))
    {
        _gateProj = new LinearProjection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        _upProj = new LinearProjection(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        _downProj = new LinearProjection(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var gate = _gateProj.forward(input);
        using var up = _upProj.forward(input);
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
}
