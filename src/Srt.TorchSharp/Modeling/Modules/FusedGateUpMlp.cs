using TorchSharp;
using TorchSharp.Utils;
using Srt.TorchSharp.Kernels.Cuda;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Phi-3's SwiGLU MLP with the gate and up projections fused into one <c>gate_up_proj</c> [2·intermediate, hidden]:
/// the first half of its output is the gate, the second the up projection; <c>down_proj(up * silu(gate))</c>.
/// Kept fused so checkpoints load and save in the layout Phi-3 ships and PEFT targets (<c>gate_up_proj</c>).
/// </summary>
internal sealed class FusedGateUpMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_up_proj")]
    private readonly LinearProjection _gateUpProj;

    [ComponentName(Name = "down_proj")]
    private readonly LinearProjection _downProj;

    private readonly long _intermediate;

    public FusedGateUpMlp(LlamaConfig config, ScalarType dtype, Device device)
        : base(nameof(FusedGateUpMlp))
    {
        _intermediate = config.IntermediateSize;
        _gateUpProj = new LinearProjection(config.HiddenSize, 2 * _intermediate, false, dtype, device);
        _downProj = new LinearProjection(_intermediate, config.HiddenSize, false, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var fused = _gateUpProj.forward(input);
        var gate = fused.narrow(-1, 0, _intermediate);
        var up = fused.narrow(-1, _intermediate, _intermediate);
        var product = input.device_type == DeviceType.CUDA
            ? FusedOps.SwiGlu(gate.contiguous(), up.contiguous())
            : nn.functional.silu(gate) * up;
        return _downProj.forward(product).MoveToOuterDisposeScope();
    }
}
