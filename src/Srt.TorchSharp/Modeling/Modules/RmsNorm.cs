using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using Srt.TorchSharp.Kernels.Cpu;
using Srt.TorchSharp.Kernels.Cuda;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Root-mean-square layer norm as Hugging Face's LlamaRMSNorm computes it: normalise in float32, cast back to the
/// input dtype, then multiply by the weight (so bf16 models round at the same point PyTorch does).
/// </summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;

    private readonly double _epsilon;

    // OLMo 2's RMSNorm multiplies by the weight in float32 and rounds after; Llama's rounds first. Same in float32.
    private readonly bool _weightBeforeRounding;

    public RmsNorm(long hiddenSize, double epsilon, ScalarType dtype, Device device, bool weightBeforeRounding = false)
        : base(nameof(RmsNorm))
    {
        _weight = ParameterFactory.Empty(dtype, device, hiddenSize);
        _epsilon = epsilon;
        _weightBeforeRounding = weightBeforeRounding;
        RegisterComponents();
    }

    public Parameter Weight => _weight;

    public double Epsilon => _epsilon;

    public override Tensor forward(Tensor input)
    {
        if (input.device_type == DeviceType.CUDA)
        {
            // One fused kernel forward and backward; it multiplies by the weight before rounding to bf16, which
            // differs from the path below by at most one bf16 step.
            return FusedOps.RmsNorm(input, _weight, _epsilon);
        }

        // A decoding step's few float32 rows: one pass in place of five operations.
        if (SmallRowRmsNorm.TryNormalize(input, _weight, _epsilon) is { } normalizedRows)
        {
            return normalizedRows;
        }

        using var scope = NewDisposeScope();
        var inputType = input.dtype;
        var x = inputType == ScalarType.Float32 ? input : input.to(ScalarType.Float32);
        var variance = x.pow(HeldScalars.Of(2L)).mean([-1L], keepdim: true);
        var normalized = x * variance.add(HeldScalars.Of(_epsilon), HeldScalars.One).rsqrt_();
        if (_weightBeforeRounding && inputType != ScalarType.Float32)
        {
            return (_weight * normalized).to(inputType).MoveToOuterDisposeScope();
        }
        if (inputType != ScalarType.Float32)
        {
            normalized = normalized.to(inputType);
        }
        return (_weight * normalized).MoveToOuterDisposeScope();
    }
}
