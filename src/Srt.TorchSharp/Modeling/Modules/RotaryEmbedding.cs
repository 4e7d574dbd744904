using TorchSharp;
using Srt.TorchSharp.Kernels.Cuda;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Rotary position embedding tables. The inverse frequencies follow Hugging Face's rope initialisers (default,
/// <c>linear</c>, <c>llama3</c>) in float32; cos/sin are computed once in float32 for all positions up to the longest
/// seen so far and kept, cast once to the model dtype, on the model's device. Not a module: the tables are derived
/// from the config, never saved, and deliberately absent from <c>named_parameters()</c> and the state dict.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _inverseFrequencies;
    private Tensor? _cos;
    private Tensor? _sin;

    public RotaryEmbedding(LlamaConfig config)
        : this(config, config.RopeTheta, config.RopeScaling)
    {
    }

    /// <summary>Tables for layers that rotate with their own base and scaling (<see cref="LlamaConfig.RotaryOf"/>).</summary>
    public RotaryEmbedding(LlamaConfig config, double theta, RopeScaling? scaling)
    {
        _inverseFrequencies = ComputeInverseFrequencies(config.RotaryDimension, theta, scaling).DetachFromDisposeScope();
        InitialLength = Math.Min(config.MaxPositionEmbeddings, 4096);
    }

    private long InitialLength { get; }

    /// <summary>The inverse frequencies [rotary width / 2] in float32 on the CPU.</summary>
    public Tensor InverseFrequencies => _inverseFrequencies;

    /// <summary>Positions the tables currently cover.</summary>
    public long Length => _cos?.shape[0] ?? 0;

    /// <summary>Hugging Face's <c>inv_freq</c> for the config's rope type, in float32: [rotary width / 2], where the
    /// rotary width is the head width times <c>partial_rotary_factor</c>.</summary>
    public static Tensor ComputeInverseFrequencies(LlamaConfig config) =>
        ComputeInverseFrequencies(config.RotaryDimension, config.RopeTheta, config.RopeScaling);

    /// <summary>Hugging Face's <c>inv_freq</c> [dim / 2] for one rotary width, base and scaling, in float32.</summary>
    public static Tensor ComputeInverseFrequencies(int dim, double theta, RopeScaling? scaling)
    {
        using var scope = NewDisposeScope();
        var exponents = arange(HeldScalars.Of(0L), HeldScalars.Of((long)dim), HeldScalars.Of(2L), ScalarType.Int64).to(ScalarType.Float32) / HeldScalars.Of((long)dim);
        var inverse = pow(tensor((float)theta), exponents).reciprocal_();
        if (scaling is { RopeType: RopeScaling.Linear } linear)
        {
            inverse = inverse / HeldScalars.Of(linear.Factor);
        }
        else if (scaling is { RopeType: RopeScaling.Llama3 } llama3)
        {
            inverse = ApplyLlama3Scaling(inverse, llama3);
        }
        return inverse.MoveToOuterDisposeScope();
    }

    // Llama 3.1: long wavelengths are stretched by the factor, short ones kept, and the band between blended.
    private static Tensor ApplyLlama3Scaling(Tensor inverse, RopeScaling scaling)
    {
        double originalContext = scaling.OriginalMaxPositionEmbeddings;
        var lowFrequencyWavelength = originalContext / scaling.LowFreqFactor;
        var highFrequencyWavelength = originalContext / scaling.HighFreqFactor;
        var wavelength = HeldScalars.Of(2 * Math.PI) / inverse;
        var scaled = where(wavelength > HeldScalars.Of(lowFrequencyWavelength), inverse / HeldScalars.Of(scaling.Factor), inverse);
        var smooth = (HeldScalars.Of(originalContext) / wavelength - HeldScalars.Of(scaling.LowFreqFactor)) / HeldScalars.Of(scaling.HighFreqFactor - scaling.LowFreqFactor);
        var smoothed = (smooth.neg().add_(HeldScalars.Of(1L), HeldScalars.One) * scaled / HeldScalars.Of(scaling.Factor)).add(smooth * scaled, HeldScalars.One);
        var isMedium = (wavelength >= HeldScalars.Of(highFrequencyWavelength)).logical_and_(wavelength <= HeldScalars.Of(lowFrequencyWavelength));
        return where(isMedium, smoothed, scaled);
    }

    /// <summary>
    /// The cos and sin tables [length, head_dim] in <paramref name="dtype"/> on <paramref name="device"/>, covering at
    /// least <paramref name="positions"/> positions. The returned tensors are owned by this object: do not dispose.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Tables(long positions, ScalarType dtype, Device device)
    {
        if (_cos is null || _sin is null || _cos.shape[0] < positions || _cos.dtype != dtype
            || _cos.device_type != device.type || _cos.device_index != device.index)
        {
            var length = Math.Max(positions, Math.Max(InitialLength, Length));
            if (Length > 0 && Length < positions)
            {
                length = Math.Max(positions, 2 * Length);
            }
            Build(length, dtype, device);
        }
        return (_cos!, _sin!);
    }

    private void Build(long length, ScalarType dtype, Device device)
    {
        _cos?.Dispose();
        _sin?.Dispose();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var positions = arange(HeldScalars.Of(length), ScalarType.Float32, device);
        var frequencies = outer(positions, _inverseFrequencies.to(device));
        var angles = cat([frequencies, frequencies], -1);
        _cos = angles.cos().to(dtype).DetachFromDisposeScope();
        _sin = angles.sin().to(dtype).DetachFromDisposeScope();
    }

    /// <summary>
    /// Rotates <paramref name="x"/> [B, heads, T, D] by the angles in <paramref name="cos"/> and <paramref name="sin"/>
    /// (broadcastable to x): <c>x * cos + rotate_half(x) * sin</c>, as Hugging Face's apply_rotary_pos_emb.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        if (x.device_type == DeviceType.CUDA)
        {
            return FusedOps.Rotary(x, cos, sin);
        }

        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var first = x.narrow(-1, 0, half);
        var second = x.narrow(-1, half, half);
        var rotated = cat([second.neg(), first], -1);
        return (x * cos).add_(rotated.mul_(sin), HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rotates the first <c>cos.shape[-1]</c> features of each head of <paramref name="x"/> and passes the rest through
    /// (Phi-3's partial rotary); with tables as wide as the head this is <see cref="Apply"/>.
    /// </summary>
    public static Tensor ApplyPartial(Tensor x, Tensor cos, Tensor sin)
    {
        var rotaryWidth = cos.shape[^1];
        var width = x.shape[^1];
        if (rotaryWidth == width)
        {
            return Apply(x, cos, sin);
        }
        using var scope = NewDisposeScope();
        var rotated = Apply(x.narrow(-1, 0, rotaryWidth).contiguous(), cos, sin);
        return cat([rotated, x.narrow(-1, rotaryWidth, width - rotaryWidth)], -1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _cos?.Dispose();
        _sin?.Dispose();
        _inverseFrequencies.Dispose();
    }
}
