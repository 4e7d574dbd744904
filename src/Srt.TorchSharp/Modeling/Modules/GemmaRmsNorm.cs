using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Gemma's RMS norm: normalise in float32 and multiply by <c>1 + weight</c> (also in float32), then cast back to the
/// input dtype. Unlike <see cref="RmsNorm"/> the weight is stored as an offset from one (zero means identity) and the
/// cast comes after the multiplication, as in Hugging Face's Gemma2RMSNorm/Gemma3RMSNorm.
/// </summary>
internal sealed class GemmaRmsNorm : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;

    private readonly double _epsilon;

    public GemmaRmsNorm(long size, double epsilon, ScalarType dtype, Device device)
        : base(nameof(GemmaRmsNorm))
    {
        _weight = ParameterFactory.Empty(dtype, device, size);
        _epsilon = epsilon;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dtype == ScalarType.Float32 ? input : input.to(ScalarType.Float32);
        var variance = x.pow(HeldScalars.Of(2L)).mean([-1L], keepdim: true);
        var normalized = x * variance.add(HeldScalars.Of(_epsilon), HeldScalars.One).rsqrt_();
        var weight = _weight.dtype == ScalarType.Float32 ? _weight : _weight.to(ScalarType.Float32);
        var output = normalized * weight.add(HeldScalars.Of(1.0), HeldScalars.One);
        return (input.dtype == ScalarType.Float32 ? output : output.to(input.dtype)).MoveToOuterDisposeScope();
    }
}
