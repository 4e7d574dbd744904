using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>One low-rank adapter: output += (alpha / r) · B · A · dropout(x), computed in float32 whatever the
/// base dtype (PEFT's A is kaiming-uniform, B zero, so a fresh adapter changes nothing).</summary>
internal sealed class LoraAdapter : IDisposable
{
    private readonly double _scale;
    private readonly double _dropout;

    public LoraAdapter(long inFeatures, long outFeatures, LoraOptions options, Device device)
    {
        _scale = options.Scale;
        _dropout = options.Dropout;
        A = new Parameter(empty([options.Rank, inFeatures], ScalarType.Float32, device));
        B = new Parameter(zeros([outFeatures, options.Rank], ScalarType.Float32, device));
        using var noGrad = no_grad();
        nn.init.kaiming_uniform_(A, a: Math.Sqrt(5));
    }

    /// <summary>lora_A.weight [r, in].</summary>
    public Parameter A { get; }

    /// <summary>lora_B.weight [out, r].</summary>
    public Parameter B { get; }

    /// <summary>Whether dropout is applied.</summary>
    public bool Training { get; set; }

    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dtype == ScalarType.Float32 ? input : input.to(ScalarType.Float32);
        if (Training && _dropout > 0)
        {
            x = nn.functional.dropout(x, _dropout, training: true);
        }
        var delta = nn.functional.linear(nn.functional.linear(x, A), B).mul(HeldScalars.Of(_scale));
        return (delta.dtype == input.dtype ? delta : delta.to(input.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The weight delta (alpha / r) · B · A [out, in] in float32.</summary>
    public Tensor Delta()
    {
        using var noGrad = no_grad();
        using var product = B.matmul(A);
        return product.mul(HeldScalars.Of(_scale));
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
