using static TorchSharp.torch;

namespace Srt.Benchmarks.Cuda;

/// <summary>Differences between a result and its reference, measured in float64 on the CPU.</summary>
internal static class TensorComparison
{
    /// <summary>Gets the largest absolute difference.</summary>
    public static double MaxAbs(Tensor actual, Tensor expected)
    {
        using var a = actual.detach().cpu().to_type(ScalarType.Float64);
        using var e = expected.detach().cpu().to_type(ScalarType.Float64);
        using var difference = (a - e).abs().max();
        return difference.item<double>();
    }

    /// <summary>Gets the largest absolute difference divided by the largest absolute reference value (0 when both are 0).</summary>
    public static double MaxRel(Tensor actual, Tensor expected)
    {
        using var e = expected.detach().cpu().to_type(ScalarType.Float64);
        using var scale = e.abs().max();
        double denominator = scale.item<double>();
        double difference = MaxAbs(actual, expected);
        return denominator == 0 ? difference : difference / denominator;
    }

    /// <summary>Rounds for JSON: 4 significant digits.</summary>
    public static double Round(double value) => value == 0 || double.IsNaN(value) || double.IsInfinity(value)
        ? value
        : Math.Round(value, Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(value)))));
}
