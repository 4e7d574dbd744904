using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// RMSNorm, <c>weight · x / √(mean(x²) + ε)</c>, for a few float32 rows on the CPU, for inference: the norms of a
/// decoding step (two per layer and one at the end), where x has one row per running sequence. libtorch runs it as
/// five operations, each a dispatch and a new tensor: about 12 µs per norm at 8 rows of 384 on the 2-core development
/// VM, 0.16 ms of a 25M model's 4–5 ms step; this is one pass per row. Each row is normalised alone, in a
/// fixed order, so its result does not depend on the other rows; it differs from libtorch's only by float32 rounding
/// of another summation order for the mean.
/// </summary>
internal static class SmallRowRmsNorm
{
    /// <summary>
    /// Normalises each row of <paramref name="input"/> [..., hidden] when the kernel applies (it follows
    /// <see cref="SmallRowLinear.Enabled"/>, the small-row kernels' switch): float32 CPU tensors, contiguous, at most
    /// <see cref="SmallRowLinear.MaxRows"/> rows, no gradient to record, and 256-bit vectors in hardware. Returns
    /// <see langword="null"/> otherwise, and the caller runs libtorch's operations.
    /// </summary>
    public static Tensor? TryNormalize(Tensor input, Tensor weight, double epsilon)
    {
        if (!SmallRowLinear.Enabled || !Vector256.IsHardwareAccelerated || !CpuTensorChecks.IsContiguousFloat(input)
            || (is_grad_enabled() && (input.requires_grad || weight.requires_grad)))
        {
            return null;
        }
        var dims = (int)input.dim();
        var width = dims == 0 ? 0 : input.size(dims - 1);
        if (width is 0 or > int.MaxValue || !CpuTensorChecks.IsVector(weight, width))
        {
            return null;
        }
        long rows = 1;
        for (var d = 0; d < dims - 1; d++)
        {
            rows *= input.size(d);
        }
        if (rows > SmallRowLinear.MaxRows)
        {
            return null;
        }
        var output = empty_like(input);
        unsafe
        {
            var x = (float*)TensorMemory.Address(input);
            var w = (float*)TensorMemory.Address(weight);
            var y = (float*)TensorMemory.Address(output);
            for (var row = 0; row < rows; row++)
            {
                Normalize(x + row * width, w, y + row * width, (int)width, (float)epsilon);
            }
        }
        GC.KeepAlive(input);
        GC.KeepAlive(weight);
        return output;
    }

    /// <summary>One row: the mean of squares in eight lanes, then <c>w · (x · (1 / √(mean + ε)))</c>, rounded as
    /// libtorch's float32 operations round.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Normalize(float* x, float* w, float* y, int width, float epsilon)
    {
        var lanes = Vector256<float>.Zero;
        var d = 0;
        for (; d + 8 <= width; d += 8)
        {
            var v = Vector256.Load(x + d);
            lanes += v * v;
        }
        var sum = Vector256.Sum(lanes);
        for (; d < width; d++)
        {
            sum += x[d] * x[d];
        }
        var inverse = 1f / MathF.Sqrt(sum / width + epsilon);
        var scale = Vector256.Create(inverse);
        d = 0;
        for (; d + 8 <= width; d += 8)
        {
            (Vector256.Load(w + d) * (Vector256.Load(x + d) * scale)).Store(y + d);
        }
        for (; d < width; d++)
        {
            y[d] = w[d] * (x[d] * inverse);
        }
    }
}
