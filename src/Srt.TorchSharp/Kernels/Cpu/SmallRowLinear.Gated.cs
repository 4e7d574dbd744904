using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// The gated MLP's first half, <c>silu(x W_gateᵀ + b_gate) · (x W_upᵀ + b_up)</c>, for a few float32 rows: both products
/// and the activation in one split of the output features, so each work item finishes its features while they are in
/// cache, and a decoding step's MLP takes one call instead of two products, an activation and a multiply (each a
/// dispatch and a tensor).
/// </summary>
internal static partial class SmallRowLinear
{
    /// <summary>
    /// Computes <c>silu(input W_gateᵀ + b_gate) · (input W_upᵀ + b_up)</c> when the kernel applies to both products (as
    /// <see cref="TryLinear"/>); returns <see langword="null"/> otherwise. Each product sums as <see cref="TryLinear"/>
    /// does; SiLU is <c>g / (1 + e^(−g))</c>, as libtorch computes it, with .NET's exponential.
    /// </summary>
    public static Tensor? TryGatedLinear(Tensor input, Tensor gateWeight, Tensor? gateBias, Tensor upWeight, Tensor? upBias)
    {
        if (!Applies(input, gateWeight, gateBias, out var product) || !Applies(input, upWeight, upBias, out var upProduct)
            || upProduct.Features != product.Features)
        {
            return null;
        }
        var (rows, features, depth) = (product.Rows, product.Features, product.Depth);
        var output = empty(product.OutputShape, ScalarType.Float32);
        using var upValues = empty(product.OutputShape, ScalarType.Float32);
        var x = (nint)TensorMemory.Address(input);
        var (wg, wu) = ((nint)TensorMemory.Address(gateWeight), (nint)TensorMemory.Address(upWeight));
        var bg = gateBias is null ? 0 : (nint)TensorMemory.Address(gateBias);
        var bu = upBias is null ? 0 : (nint)TensorMemory.Address(upBias);
        var (y, u) = ((nint)TensorMemory.Address(output), (nint)TensorMemory.Address(upValues));
        RunBlocks(features, 2L * rows * features * depth, (first, end) =>
        {
            Compute(x, wg, bg, y, rows, depth, features, first, end);
            Compute(x, wu, bu, u, rows, depth, features, first, end);
            Gate(y, u, rows, features, first, end);
        });
        return output;
    }

    /// <summary>y ← silu(y) · u over features [first, end) of every row: four features per vector where the four lie
    /// in [first, end) from a multiple of four (item bounds are such multiples), one at a time for the last
    /// <c>features mod 4</c>. So each output takes the same instructions whichever item, thread or row count computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Gate(nint yAddress, nint uAddress, int rows, int features, int first, int end)
    {
        var one = Vector128.Create(1f);
        for (var r = 0; r < rows; r++)
        {
            var y = (float*)yAddress + (long)r * features;
            var u = (float*)uAddress + (long)r * features;
            var j = first;
            for (; j + 4 <= end; j += 4)
            {
                var g = Vector128.Load(y + j);
                (g / (one + Vector128.Exp(-g)) * Vector128.Load(u + j)).Store(y + j);
            }
            for (; j < end; j++)
            {
                y[j] = y[j] / (1f + MathF.Exp(-y[j])) * u[j];
            }
        }
    }
}
