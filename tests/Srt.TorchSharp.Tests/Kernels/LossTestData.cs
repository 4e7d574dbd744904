using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

/// <summary>Small random problems for the loss parity tests, and the error measure they assert on.</summary>
internal static class LossTestData
{
    /// <summary>Makes leaf hidden states [..shape, H] and weight [V, H] (both requiring grad) and targets in [0, V).</summary>
    public static (Tensor Hidden, Tensor Weight, Tensor Targets) Make(long[] leadingShape, long hiddenSize, long vocabulary, int seed, ScalarType dtype = ScalarType.Float32)
    {
        var generator = new Generator((ulong)seed);
        long[] hiddenShape = [.. leadingShape, hiddenSize];
        var hidden = torch.randn(hiddenShape, generator: generator).to(dtype).requires_grad_(true);
        var weight = (torch.randn(vocabulary, hiddenSize, generator: generator) * 0.5).to(dtype).requires_grad_(true);
        var targets = torch.randint(0, vocabulary, leadingShape, generator: generator, dtype: ScalarType.Int64);
        return (hidden, weight, targets);
    }

    /// <summary>Returns a detached float64 copy that requires grad (the reference computation's leaf).</summary>
    public static Tensor Float64Leaf(Tensor tensor, bool requiresGrad = true) =>
        tensor.detach().to(ScalarType.Float64).requires_grad_(requiresGrad);

    /// <summary>Norm-wise relative error ‖actual − expected‖ / ‖expected‖ (absolute when the expected norm is 0).</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = torch.NewDisposeScope();
        var a = actual.detach().to(ScalarType.Float64);
        var e = expected.detach().to(ScalarType.Float64);
        double difference = (a - e).norm().item<double>();
        double reference = e.norm().item<double>();
        return reference == 0 ? difference : difference / reference;
    }

    /// <summary>Asserts a relative error bound with a message that shows the measured error.</summary>
    public static void AssertClose(Tensor actual, Tensor expected, double bound, string what)
    {
        double error = RelativeError(actual, expected);
        Assert.True(error <= bound, $"{what}: relative error {error:E3} exceeds {bound:E1}");
    }
}
