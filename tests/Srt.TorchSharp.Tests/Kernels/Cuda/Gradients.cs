using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>Finite-difference gradients and comparisons for float64 tests.</summary>
internal static class Gradients
{
    /// <summary>Central differences of <paramref name="loss"/> with respect to every element of input <paramref name="which"/>.</summary>
    public static double[] FiniteDifference(Func<Tensor[], Tensor> loss, Tensor[] inputs, int which, double step = 1e-6)
    {
        var values = inputs[which].data<double>().ToArray();
        var shape = inputs[which].shape;
        var result = new double[values.Length];
        using var noGrad = no_grad();
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = (Evaluate(loss, inputs, which, values, shape, i, step) - Evaluate(loss, inputs, which, values, shape, i, -step)) / (2 * step);
        }

        return result;
    }

    /// <summary>‖a − b‖ / ‖b‖.</summary>
    public static double RelativeError(double[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }

        return Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-300);
    }

    public static double[] Values(Tensor tensor) => tensor.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static double Evaluate(Func<Tensor[], Tensor> loss, Tensor[] inputs, int which, double[] values, long[] shape, int index, double delta)
    {
        using var scope = NewDisposeScope();
        var copy = (double[])values.Clone();
        copy[index] += delta;
        var perturbed = (Tensor[])inputs.Clone();
        perturbed[which] = tensor(copy, shape, ScalarType.Float64);
        return loss(perturbed).item<double>();
    }
}
