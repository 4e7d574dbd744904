using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>A bias-optional linear layer with Hugging Face parameter names (<c>weight</c> [out, in], <c>bias</c> [out]).</summary>
internal sealed class LinearProjection : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;

    [ComponentName(Name = "bias")]
    private readonly Parameter? _bias;

    public LinearProjection(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype, Device device)
        : base(nameof(LinearProjection))
    {
        _weight = ParameterFactory.Empty(dtype, device, outFeatures, inFeatures);
        _bias = hasBias ? ParameterFactory.Empty(dtype, device, outFeatures) : null;
        RegisterComponents();
    }

    public Parameter Weight => _weight;

    public Parameter? Bias => _bias;

    /// <summary>An additive adapter (LoRA) whose output is added to the projection's. Owned by the trainer; it is
    /// not a registered submodule, so the model's parameter names and checkpoints stay those of Hugging Face.</summary>
    public Func<Tensor, Tensor>? Adapter { get; set; }

    public override Tensor forward(Tensor input)
    {
        if (Adapter is null)
        {
            return Project(input);
        }
        using var projected = Project(input);
        using var delta = Adapter(input);
        return projected.add(delta, HeldScalars.One);
    }

    // A decoding step projects one row per running sequence: a few float32 rows on the CPU run a kernel made for that.
    private Tensor Project(Tensor input) => SmallRowLinear.TryLinear(input, _weight, _bias) ?? nn.functional.linear(input, _weight, _bias);
}
