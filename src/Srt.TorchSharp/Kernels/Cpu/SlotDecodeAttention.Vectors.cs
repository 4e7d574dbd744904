using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Srt.TorchSharp.Kernels.Cpu;

// The slot attention's vector arithmetic: rotary rotation, dot products of a query with one or eight keys, and the
// weighted sums of value rows, each summing every output in one fixed order (see SlotDecodeAttention.cs).
internal static partial class SlotDecodeAttention
{
    /// <summary>Every head's Σ_j weights[h·count + j]·values[j] into sums[h·dim ..], the values read chunk by chunk,
    /// each chunk by every head in turn. Each head's features keep their order of summation over j (the chunks continue
    /// the same accumulators), so the result equals one uninterrupted pass per head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightedSums(float* weights, float* values, int count, int dim, int heads, float* sums)
    {
        new Span<float>(sums, heads * dim).Clear();
        for (var j = 0; j < count; j += CacheChunkRows)
        {
            var rows = Math.Min(CacheChunkRows, count - j);
            for (var h = 0; h < heads; h++)
            {
                WeightedSum(weights + (long)h * count + j, values + (long)j * dim, rows, dim, sums + h * dim);
            }
        }
    }

    /// <summary>Adds Σ_j weights[j]·values[j] to <paramref name="sum"/>, 64 (then 32, then 8) features at a time held
    /// in registers: eight independent chains per pass over the rows, so both FMA units stay busy. Each feature sums over
    /// j in order whichever pass computes it, continuing from the value it had.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightedSum(float* weights, float* values, int count, int dim, float* sum)
    {
        var d = 0;
        for (; d + 64 <= dim; d += 64)
        {
            var (a0, a1, a2, a3) = (Avx.LoadVector256(sum + d), Avx.LoadVector256(sum + d + 8), Avx.LoadVector256(sum + d + 16), Avx.LoadVector256(sum + d + 24));
            var (a4, a5, a6, a7) = (Avx.LoadVector256(sum + d + 32), Avx.LoadVector256(sum + d + 40), Avx.LoadVector256(sum + d + 48), Avx.LoadVector256(sum + d + 56));
            var row = values + d;
            for (var j = 0; j < count; j++, row += dim)
            {
                var w = Vector256.Create(weights[j]);
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(row), w, a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(row + 8), w, a1);
                a2 = Fma.MultiplyAdd(Avx.LoadVector256(row + 16), w, a2);
                a3 = Fma.MultiplyAdd(Avx.LoadVector256(row + 24), w, a3);
                a4 = Fma.MultiplyAdd(Avx.LoadVector256(row + 32), w, a4);
                a5 = Fma.MultiplyAdd(Avx.LoadVector256(row + 40), w, a5);
                a6 = Fma.MultiplyAdd(Avx.LoadVector256(row + 48), w, a6);
                a7 = Fma.MultiplyAdd(Avx.LoadVector256(row + 56), w, a7);
            }
            Avx.Store(sum + d, a0);
            Avx.Store(sum + d + 8, a1);
            Avx.Store(sum + d + 16, a2);
            Avx.Store(sum + d + 24, a3);
            Avx.Store(sum + d + 32, a4);
            Avx.Store(sum + d + 40, a5);
            Avx.Store(sum + d + 48, a6);
            Avx.Store(sum + d + 56, a7);
        }
        for (; d + 32 <= dim; d += 32)
        {
            var (a0, a1, a2, a3) = (Avx.LoadVector256(sum + d), Avx.LoadVector256(sum + d + 8), Avx.LoadVector256(sum + d + 16), Avx.LoadVector256(sum + d + 24));
            var row = values + d;
            for (var j = 0; j < count; j++, row += dim)
            {
                var w = Vector256.Create(weights[j]);
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(row), w, a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(row + 8), w, a1);
                a2 = Fma.MultiplyAdd(Avx.LoadVector256(row + 16), w, a2);
                a3 = Fma.MultiplyAdd(Avx.LoadVector256(row + 24), w, a3);
            }
            Avx.Store(sum + d, a0);
            Avx.Store(sum + d + 8, a1);
            Avx.Store(sum + d + 16, a2);
            Avx.Store(sum + d + 24, a3);
        }
        for (; d + 8 <= dim; d += 8)
        {
            var a = Avx.LoadVector256(sum + d);
            var row = values + d;
            for (var j = 0; j < count; j++, row += dim)
            {
                a = Fma.MultiplyAdd(Avx.LoadVector256(row), Vector256.Create(weights[j]), a);
            }
            Avx.Store(sum + d, a);
        }
        for (; d < dim; d++)
        {
            var a = sum[d];
            for (var j = 0; j < count; j++)
            {
                a = MathF.FusedMultiplyAdd(values[(long)j * dim + d], weights[j], a);
            }
            sum[d] = a;
        }
    }

    /// <summary>Eight keys' dot products with one query, each summed in <see cref="Dot"/>'s order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Dot8(float* x, float* keys, int dim, float* scores)
    {
        var k0 = keys;
        var k1 = k0 + dim;
        var k2 = k1 + dim;
        var k3 = k2 + dim;
        var k4 = k3 + dim;
        var k5 = k4 + dim;
        var k6 = k5 + dim;
        var k7 = k6 + dim;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        var d = 0;
        for (; d + 8 <= dim; d += 8)
        {
            var q = Avx.LoadVector256(x + d);
            a0 = Fma.MultiplyAdd(q, Avx.LoadVector256(k0 + d), a0);
            a1 = Fma.MultiplyAdd(q, Avx.LoadVector256(k1 + d), a1);
            a2 = Fma.MultiplyAdd(q, Avx.LoadVector256(k2 + d), a2);
            a3 = Fma.MultiplyAdd(q, Avx.LoadVector256(k3 + d), a3);
            a4 = Fma.MultiplyAdd(q, Avx.LoadVector256(k4 + d), a4);
            a5 = Fma.MultiplyAdd(q, Avx.LoadVector256(k5 + d), a5);
            a6 = Fma.MultiplyAdd(q, Avx.LoadVector256(k6 + d), a6);
            a7 = Fma.MultiplyAdd(q, Avx.LoadVector256(k7 + d), a7);
        }
        scores[0] = Finish(a0, x, k0, d, dim);
        scores[1] = Finish(a1, x, k1, d, dim);
        scores[2] = Finish(a2, x, k2, d, dim);
        scores[3] = Finish(a3, x, k3, d, dim);
        scores[4] = Finish(a4, x, k4, d, dim);
        scores[5] = Finish(a5, x, k5, d, dim);
        scores[6] = Finish(a6, x, k6, d, dim);
        scores[7] = Finish(a7, x, k7, d, dim);
    }

    /// <summary>HF's <c>x·cos + rotate_half(x)·sin</c> over the first <paramref name="width"/> features; the rest copied.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Rotate(float* x, float* y, int dim, float* cos, float* sin, int width)
    {
        var d = 0;
        if (cos != null)
        {
            var half = width / 2;
            for (; d < half; d++)
            {
                var product = x[d] * cos[d];
                var rotated = -x[d + half] * sin[d];
                y[d] = product + rotated;
            }
            for (; d < width; d++)
            {
                var product = x[d] * cos[d];
                var rotated = x[d - half] * sin[d];
                y[d] = product + rotated;
            }
        }
        for (; d < dim; d++)
        {
            y[d] = x[d];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Dot(float* x, float* y, int dim)
    {
        var a = Vector256<float>.Zero;
        var d = 0;
        for (; d + 8 <= dim; d += 8)
        {
            a = Fma.MultiplyAdd(Avx.LoadVector256(x + d), Avx.LoadVector256(y + d), a);
        }
        return Finish(a, x, y, d, dim);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Finish(Vector256<float> lanes, float* x, float* y, int d, int dim)
    {
        var total = Vector128.Sum(lanes.GetLower() + lanes.GetUpper());
        for (; d < dim; d++)
        {
            total = MathF.FusedMultiplyAdd(x[d], y[d], total);
        }
        return total;
    }
}
