using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// The fused operations' forward and hand-written backward in composed TorchSharp ops, on any device, computing in
/// float32 (float64 for float64 inputs) like the CUDA kernels. Used to test the autograd functions on CPU.
/// </summary>
internal sealed class ComposedFusedOpKernels : IFusedOpKernels
{
    public static readonly ComposedFusedOpKernels Instance = new();

    public (Tensor Output, Tensor InverseRms) RmsNormForward(Tensor input, Tensor weight, double eps)
    {
        var compute = ComputeType(input);
        var x = input.to_type(compute);
        var inverseRms = rsqrt(x.pow(HeldScalars.Of(2L)).mean(new long[] { -1 }, keepdim: true).add(HeldScalars.Of(eps), HeldScalars.One));
        var output = (x * inverseRms * weight.to_type(compute)).to_type(input.dtype);
        return (output, inverseRms.reshape(-1));
    }

    public (Tensor InputGrad, Tensor WeightGrad) RmsNormBackward(Tensor gradOutput, Tensor input, Tensor weight, Tensor inverseRms)
    {
        var compute = ComputeType(input);
        var cols = input.shape[^1];
        var g = gradOutput.to_type(compute);
        var x = input.to_type(compute);
        var w = weight.to_type(compute);
        var r = inverseRms.to_type(compute).reshape(RowShape(input));
        var dot = (g * w * x).sum(new long[] { -1 }, keepdim: true);
        var inputGrad = r * g * w - x * dot * r.pow(HeldScalars.Of(3L)) / HeldScalars.Of(cols);
        var weightGrad = (g * x * r).reshape(-1, cols).sum(new long[] { 0 });  // sum(0) would bind the ScalarType overload
        return (inputGrad.to_type(input.dtype), weightGrad.to_type(weight.dtype));
    }

    public Tensor Rotary(Tensor input, Tensor cos, Tensor sin, bool inverse)
    {
        var compute = ComputeType(input);
        var half = input.shape[^1] / 2;
        var x = input.to_type(compute);
        var c = cos.to_type(compute);
        var s = sin.to_type(compute);
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var c1 = c.narrow(-1, 0, half);
        var c2 = c.narrow(-1, half, half);
        var s1 = s.narrow(-1, 0, half);
        var s2 = s.narrow(-1, half, half);
        var output = inverse
            ? cat(new[] { (x1 * c1).add(x2 * s2, HeldScalars.One), x2 * c2 - x1 * s1 }, -1)
            : cat(new[] { x1 * c1 - x2 * s1, (x2 * c2).add(x1 * s2, HeldScalars.One) }, -1);
        return output.to_type(input.dtype);
    }

    public Tensor SwiGluForward(Tensor gate, Tensor up)
    {
        var compute = ComputeType(gate);
        var g = gate.to_type(compute);
        return (g * sigmoid(g) * up.to_type(compute)).to_type(gate.dtype);
    }

    public (Tensor GateGrad, Tensor UpGrad) SwiGluBackward(Tensor gradOutput, Tensor gate, Tensor up)
    {
        var compute = ComputeType(gate);
        var dy = gradOutput.to_type(compute);
        var g = gate.to_type(compute);
        var s = sigmoid(g);
        var gateGrad = dy * up.to_type(compute) * s * (g * s.neg().add_(HeldScalars.Of(1.0), HeldScalars.One)).add(HeldScalars.Of(1.0), HeldScalars.One);
        var upGrad = dy * g * s;
        return (gateGrad.to_type(gate.dtype), upGrad.to_type(up.dtype));
    }

    /// <summary>float64 stays float64; everything else computes in float32.</summary>
    public static ScalarType ComputeType(Tensor tensor) =>
        tensor.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private static long[] RowShape(Tensor input)
    {
        var shape = input.shape.ToArray();
        shape[^1] = 1;
        return shape;
    }
}
