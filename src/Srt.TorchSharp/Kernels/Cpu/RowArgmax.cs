using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// Greedy decoding's choice, <c>logits.argmax(-1)</c>, for float32 logits on the CPU, read in place. libtorch's argmax
/// over a step's [rows, vocabulary] logits costs a dispatch, an index tensor and a copy back to managed memory each
/// step (about a tenth of a millisecond at 8 rows of 32,000, as much as the reduction itself); this scans the rows
/// where they lie. It keeps libtorch's answer exactly: the first maximal index of each row, and the first NaN's index
/// where a row holds one (argmax treats NaN as the largest value).
/// </summary>
internal static class RowArgmax
{
    /// <summary>Each row's argmax of <paramref name="logits"/> [rows, vocabulary] when it is a contiguous float32 CPU
    /// tensor; <see langword="null"/> otherwise, and the caller runs libtorch's <c>argmax</c>.</summary>
    public static long[]? TryArgmax(Tensor logits)
    {
        if (!CpuTensorChecks.IsContiguous(logits, 2) || logits.size(1) is 0 or > int.MaxValue)
        {
            return null;
        }
        var (rows, width) = ((int)logits.size(0), (int)logits.size(1));
        var result = new long[rows];
        unsafe
        {
            var data = (float*)TensorMemory.Address(logits);
            for (var row = 0; row < rows; row++)
            {
                result[row] = Argmax(new ReadOnlySpan<float>(data + (long)row * width, width));
            }
        }
        GC.KeepAlive(logits);
        return result;
    }

    /// <summary>The first index of the largest value, or of the first NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe int Argmax(ReadOnlySpan<float> values)
    {
        fixed (float* data = values)
        {
            // One pass finds the largest value (a NaN poisons its lane's flag), a second the first index that holds
            // it: the first NaN where there is one, else the first value equal to the largest (-0 equals +0, as in
            // libtorch's comparison, so the first of them wins).
            var length = values.Length;
            var whole = Vector256.IsHardwareAccelerated ? length & ~(Vector256<float>.Count - 1) : 0;
            var best = float.NegativeInfinity;
            var hasNaN = false;
            if (whole > 0)
            {
                var maxima = Vector256.Create(float.NegativeInfinity);
                var nan = Vector256<float>.Zero;
                for (var i = 0; i < whole; i += Vector256<float>.Count)
                {
                    var v = Vector256.Load(data + i);
                    maxima = Vector256.Max(maxima, v);
                    nan |= ~Vector256.Equals(v, v);
                }
                hasNaN = nan != Vector256<float>.Zero;
                for (var lane = 0; lane < Vector256<float>.Count; lane++)
                {
                    best = MathF.Max(best, maxima[lane]);
                }
            }
            for (var i = whole; i < length; i++)
            {
                hasNaN |= float.IsNaN(data[i]);
                best = MathF.Max(best, data[i]);
            }
            var target = Vector256.Create(best);
            for (var i = 0; i < whole; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(data + i);
                var hits = (hasNaN ? ~Vector256.Equals(v, v) : Vector256.Equals(v, target)).ExtractMostSignificantBits();
                if (hits != 0)
                {
                    return i + BitOperations.TrailingZeroCount(hits);
                }
            }
            for (var i = whole; i < length; i++)
            {
                if (hasNaN ? float.IsNaN(data[i]) : data[i] == best)
                {
                    return i;
                }
            }
            return 0;
        }
    }
}
