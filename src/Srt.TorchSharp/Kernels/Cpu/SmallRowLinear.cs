using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// <c>y = x Wᵀ + b</c> for a few float32 rows on the CPU, for inference: the products of a decoding step, where x has
/// one row per running sequence. libtorch's CPU GEMM reaches a fifth to a third of its square-matrix rate at 1–16
/// rows; this kernel streams each weight row once for all rows (weights are [out, in] row-major, so a dot-product
/// microkernel of four weight rows, or two without AVX-512's extra registers, against four input rows in registers
/// needs no packing) and splits blocks of output features across the torch thread count (<see cref="KernelWorkers"/>).
/// A step's weights do not fit in cache, so each block's first pass prefetches the next block of weight rows: left to
/// the hardware prefetcher, the four interleaved row streams ran at about half the machine's read bandwidth (a 25M
/// model's output projection at 8 rows: 22 GB/s without, 39 GB/s with, on the 2-core development VM).
/// </summary>
/// <remarks>
/// Every output element is summed in the same order whatever the number of rows, the tile it falls in or the thread
/// that computes it (eight lanes over k ≡ lane mod 8 with fused multiply-adds, or sixteen in 512-bit vectors where the
/// CPU runs those at full width (SmallRowLinear.Wide.cs), a fixed horizontal sum, then the tail),
/// so a row's result does not depend on which other rows share its batch. The result differs from libtorch's only by
/// float32 rounding of a different summation order.
/// </remarks>
internal static partial class SmallRowLinear
{
    /// <summary>The most rows the kernel takes; beyond that libtorch's GEMM packs and blocks well.</summary>
    public const int MaxRows = 16;

    // Output features per parallel work item: at least this many, so the scheduling cost stays far below the work and
    // a 128-feature projection still balances over two threads ...
    private const int MinBlockFeatures = 32;

    // ... and about this many work items per thread: enough to even out a thread that starts late, few enough that
    // each item streams a long contiguous run of weight rows (its prefetches cross no item boundary).
    private const int BlocksPerThread = 8;

    // ... and at most this many, so one item stays a small share of even the largest projection.
    private const int MaxBlockFeatures = 512;

    // Products under this many multiply-adds run on the calling thread: waking a second one costs more.
    private const long SerialMultiplyAdds = 1L << 16;

    // AVX-512 (VL) doubles the vector registers the JIT may use, room for a 4 × 4 tile of accumulators.
    private static readonly bool WideTiles = Avx512F.VL.IsSupported;

    /// <summary>Gets a value indicating whether this CPU has the instructions the kernel needs (AVX2 and FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Gets or sets a value indicating whether <see cref="TryLinear"/> may run the kernel; false makes it always
    /// decline, so tests and benchmarks can compare with libtorch.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public static bool Enabled { get; set; } = true;

    /// <summary>
    /// Computes <c>input Wᵀ + bias</c> when the kernel applies: float32 CPU tensors, contiguous, at most
    /// <see cref="MaxRows"/> rows, and no gradient to record. Returns <see langword="null"/> otherwise, and the caller
    /// runs libtorch's <c>linear</c>.
    /// </summary>
    /// <param name="input">[..., in].</param>
    /// <param name="weight">[out, in].</param>
    /// <param name="bias">[out] or <see langword="null"/>.</param>
    /// <returns>[..., out], or <see langword="null"/> when the kernel does not apply.</returns>
    public static Tensor? TryLinear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (!Applies(input, weight, bias, out var product))
        {
            return null;
        }
        var (rows, features, depth) = (product.Rows, product.Features, product.Depth);
        var output = empty(product.OutputShape, ScalarType.Float32);
        var x = (nint)TensorMemory.Address(input);
        var w = (nint)TensorMemory.Address(weight);
        var b = bias is null ? 0 : (nint)TensorMemory.Address(bias);
        var y = (nint)TensorMemory.Address(output);
        RunBlocks(features, (long)rows * features * depth, (first, end) => Compute(x, w, b, y, rows, depth, features, first, end));
        return output;
    }

    /// <summary>Runs <paramref name="block"/> over [0, <paramref name="features"/>) in items of a multiple of four
    /// features, split across the torch thread count, or on the calling thread when the work is small.</summary>
    private static void RunBlocks(int features, long multiplyAdds, Action<int, int> block)
    {
        var available = get_num_threads();
        var blockFeatures = BlockFeatures(features, available);
        var blocks = (features + blockFeatures - 1) / blockFeatures;
        var threads = Math.Min(available, blocks);
        if (threads <= 1 || multiplyAdds < SerialMultiplyAdds)
        {
            block(0, features);
        }
        else
        {
            KernelWorkers.Shared.Run(blocks, threads, item => block(item * blockFeatures, Math.Min(features, (item + 1) * blockFeatures)));
        }
    }

    /// <summary>Output features per parallel work item for a product of <paramref name="features"/> outputs over
    /// <paramref name="threads"/> threads: a multiple of four, so every item but the last runs whole tiles.</summary>
    internal static int BlockFeatures(int features, int threads) =>
        Math.Clamp(features / (threads * BlocksPerThread), MinBlockFeatures, MaxBlockFeatures) & ~3;

    // The input's shape is read once (it gives the output's); the rest are number-returning native calls
    // (CpuTensorChecks).
    private static bool Applies(Tensor input, Tensor weight, Tensor? bias, out ProductShape product)
    {
        product = default;
        if (!Enabled || !IsSupported || !CpuTensorChecks.IsContiguousFloat(input) || !CpuTensorChecks.IsContiguous(weight, 2))
        {
            return false;
        }
        var (features, depth) = (weight.size(0), weight.size(1));
        if (features > int.MaxValue || depth is 0 or > int.MaxValue || (bias is not null && !CpuTensorChecks.IsVector(bias, features)))
        {
            return false;
        }
        if (is_grad_enabled() && (input.requires_grad || weight.requires_grad || bias?.requires_grad == true))
        {
            return false;
        }
        var inputShape = input.shape;
        if (inputShape.Length == 0 || inputShape[^1] != depth)
        {
            return false;
        }
        long count = 1;
        for (var d = 0; d < inputShape.Length - 1; d++)
        {
            count *= inputShape[d];
        }
        if (count is < 1 or > MaxRows)
        {
            return false;
        }
        var outputShape = (long[])inputShape.Clone();
        outputShape[^1] = features;
        product = new ProductShape((int)count, (int)features, (int)depth, outputShape);
        return true;
    }

    /// <summary>A product the kernel takes: input rows, output features, depth, and the output's shape.</summary>
    private readonly record struct ProductShape(int Rows, int Features, int Depth, long[] OutputShape);

    /// <summary>Output features [first, end) of every row: four (or two) weight rows at a time against four input rows.</summary>
    // Fully optimised from the first call: tier-0 code of these loops runs several times slower, and a decode step's
    // first calls would otherwise pay for it until tiering catches up.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Compute(nint xAddress, nint wAddress, nint bAddress, nint yAddress, int rows, int depth, int features, int first, int end)
    {
        var x = (float*)xAddress;
        var w = (float*)wAddress;
        var b = (float*)bAddress;
        var y = (float*)yAddress;
        if (Wide512)
        {
            ComputeWide(x, w, b, y, rows, depth, features, first, end);
            return;
        }
        var j = first;
        if (WideTiles)
        {
            for (; j + 3 < end; j += 4)
            {
                var w0 = w + (long)j * depth;
                var r = 0;
                for (; r + 3 < rows; r += 4)
                {
                    Tile4x4(x + (long)r * depth, depth, w0, b == null ? null : b + j, y + (long)r * features + j, features,
                        r == 0 && j + 7 < end ? w0 + 4L * depth : null);
                }
                // The last one to three rows: four weight rows against one input row at a time still keeps four
                // independent chains of fused multiply-adds in flight (one Dot per output would wait on each one).
                for (; r < rows; r++)
                {
                    Tile4x1(x + (long)r * depth, depth, w0, b == null ? null : b + j, y + (long)r * features + j,
                        r == 0 && j + 7 < end ? w0 + 4L * depth : null);
                }
            }
        }
        for (; j + 1 < end; j += 2)
        {
            var w0 = w + (long)j * depth;
            var w1 = w0 + depth;
            var r = 0;
            for (; r + 3 < rows; r += 4)
            {
                Tile2x4(x + (long)r * depth, depth, w0, w1, b == null ? null : b + j, y + (long)r * features + j, features,
                    r == 0 && j + 3 < end ? w0 + 2L * depth : null);
            }
            for (; r < rows; r++)
            {
                var row = x + (long)r * depth;
                y[(long)r * features + j] = Dot(row, w0, depth, b == null ? 0f : b[j]);
                y[(long)r * features + j + 1] = Dot(row, w1, depth, b == null ? 0f : b[j + 1]);
            }
        }
        if (j < end)
        {
            var w0 = w + (long)j * depth;
            for (var r = 0; r < rows; r++)
            {
                y[(long)r * features + j] = Dot(x + (long)r * depth, w0, depth, b == null ? 0f : b[j]);
            }
        }
    }

    // Four weight rows against four input rows: sixteen accumulators, eight loads per sixteen fused multiply-adds.
    // Only where AVX-512 gives the JIT 32 vector registers; with 16 the accumulators would spill.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile4x4(float* x, int depth, float* w, float* bias, float* y, int features, float* next)
    {
        var x0 = x;
        var x1 = x + depth;
        var x2 = x1 + depth;
        var x3 = x2 + depth;
        var w0 = w;
        var w1 = w + depth;
        var w2 = w1 + depth;
        var w3 = w2 + depth;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        var k = 0;
        for (; k + 8 <= depth; k += 8)
        {
            if (next != null)
            {
                Sse.Prefetch0(next + 4 * k);
                Sse.Prefetch0(next + 4 * k + 16);
            }
            var v0 = Avx.LoadVector256(w0 + k);
            var v1 = Avx.LoadVector256(w1 + k);
            var v2 = Avx.LoadVector256(w2 + k);
            var v3 = Avx.LoadVector256(w3 + k);
            var u = Avx.LoadVector256(x0 + k);
            a00 = Fma.MultiplyAdd(v0, u, a00);
            a01 = Fma.MultiplyAdd(v1, u, a01);
            a02 = Fma.MultiplyAdd(v2, u, a02);
            a03 = Fma.MultiplyAdd(v3, u, a03);
            u = Avx.LoadVector256(x1 + k);
            a10 = Fma.MultiplyAdd(v0, u, a10);
            a11 = Fma.MultiplyAdd(v1, u, a11);
            a12 = Fma.MultiplyAdd(v2, u, a12);
            a13 = Fma.MultiplyAdd(v3, u, a13);
            u = Avx.LoadVector256(x2 + k);
            a20 = Fma.MultiplyAdd(v0, u, a20);
            a21 = Fma.MultiplyAdd(v1, u, a21);
            a22 = Fma.MultiplyAdd(v2, u, a22);
            a23 = Fma.MultiplyAdd(v3, u, a23);
            u = Avx.LoadVector256(x3 + k);
            a30 = Fma.MultiplyAdd(v0, u, a30);
            a31 = Fma.MultiplyAdd(v1, u, a31);
            a32 = Fma.MultiplyAdd(v2, u, a32);
            a33 = Fma.MultiplyAdd(v3, u, a33);
        }
        var b0 = bias == null ? 0f : bias[0];
        var b1 = bias == null ? 0f : bias[1];
        var b2 = bias == null ? 0f : bias[2];
        var b3 = bias == null ? 0f : bias[3];
        y[0] = Finish(a00, x0, w0, k, depth, b0);
        y[1] = Finish(a01, x0, w1, k, depth, b1);
        y[2] = Finish(a02, x0, w2, k, depth, b2);
        y[3] = Finish(a03, x0, w3, k, depth, b3);
        y += features;
        y[0] = Finish(a10, x1, w0, k, depth, b0);
        y[1] = Finish(a11, x1, w1, k, depth, b1);
        y[2] = Finish(a12, x1, w2, k, depth, b2);
        y[3] = Finish(a13, x1, w3, k, depth, b3);
        y += features;
        y[0] = Finish(a20, x2, w0, k, depth, b0);
        y[1] = Finish(a21, x2, w1, k, depth, b1);
        y[2] = Finish(a22, x2, w2, k, depth, b2);
        y[3] = Finish(a23, x2, w3, k, depth, b3);
        y += features;
        y[0] = Finish(a30, x3, w0, k, depth, b0);
        y[1] = Finish(a31, x3, w1, k, depth, b1);
        y[2] = Finish(a32, x3, w2, k, depth, b2);
        y[3] = Finish(a33, x3, w3, k, depth, b3);
    }

    // Four weight rows against one input row: four accumulators, in the order of the tiles above.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile4x1(float* x, int depth, float* w, float* bias, float* y, float* next)
    {
        var w0 = w;
        var w1 = w + depth;
        var w2 = w1 + depth;
        var w3 = w2 + depth;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var k = 0;
        for (; k + 8 <= depth; k += 8)
        {
            if (next != null)
            {
                Sse.Prefetch0(next + 4 * k);
                Sse.Prefetch0(next + 4 * k + 16);
            }
            var u = Avx.LoadVector256(x + k);
            a0 = Fma.MultiplyAdd(Avx.LoadVector256(w0 + k), u, a0);
            a1 = Fma.MultiplyAdd(Avx.LoadVector256(w1 + k), u, a1);
            a2 = Fma.MultiplyAdd(Avx.LoadVector256(w2 + k), u, a2);
            a3 = Fma.MultiplyAdd(Avx.LoadVector256(w3 + k), u, a3);
        }
        y[0] = Finish(a0, x, w0, k, depth, bias == null ? 0f : bias[0]);
        y[1] = Finish(a1, x, w1, k, depth, bias == null ? 0f : bias[1]);
        y[2] = Finish(a2, x, w2, k, depth, bias == null ? 0f : bias[2]);
        y[3] = Finish(a3, x, w3, k, depth, bias == null ? 0f : bias[3]);
    }

    // Two weight rows against four input rows: eight accumulators, six loads per eight fused multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile2x4(float* x, int depth, float* w0, float* w1, float* bias, float* y, int features, float* next)
    {
        var x0 = x;
        var x1 = x + depth;
        var x2 = x1 + depth;
        var x3 = x2 + depth;
        var (a00, a01, a10, a11, a20, a21, a30, a31) = (Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero,
            Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero);
        var k = 0;
        for (; k + 8 <= depth; k += 8)
        {
            if (next != null)
            {
                Sse.Prefetch0(next + 2 * k);
            }
            var v0 = Avx.LoadVector256(w0 + k);
            var v1 = Avx.LoadVector256(w1 + k);
            var u = Avx.LoadVector256(x0 + k);
            a00 = Fma.MultiplyAdd(v0, u, a00);
            a01 = Fma.MultiplyAdd(v1, u, a01);
            u = Avx.LoadVector256(x1 + k);
            a10 = Fma.MultiplyAdd(v0, u, a10);
            a11 = Fma.MultiplyAdd(v1, u, a11);
            u = Avx.LoadVector256(x2 + k);
            a20 = Fma.MultiplyAdd(v0, u, a20);
            a21 = Fma.MultiplyAdd(v1, u, a21);
            u = Avx.LoadVector256(x3 + k);
            a30 = Fma.MultiplyAdd(v0, u, a30);
            a31 = Fma.MultiplyAdd(v1, u, a31);
        }
        var b0 = bias == null ? 0f : bias[0];
        var b1 = bias == null ? 0f : bias[1];
        y[0] = Finish(a00, x0, w0, k, depth, b0);
        y[1] = Finish(a01, x0, w1, k, depth, b1);
        y[features] = Finish(a10, x1, w0, k, depth, b0);
        y[features + 1] = Finish(a11, x1, w1, k, depth, b1);
        y[2 * features] = Finish(a20, x2, w0, k, depth, b0);
        y[2 * features + 1] = Finish(a21, x2, w1, k, depth, b1);
        y[3 * features] = Finish(a30, x3, w0, k, depth, b0);
        y[3 * features + 1] = Finish(a31, x3, w1, k, depth, b1);
    }

    // One row against one weight row, in exactly the order of the tile above.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Dot(float* x, float* w, int depth, float bias)
    {
        var a = Vector256<float>.Zero;
        var k = 0;
        for (; k + 8 <= depth; k += 8)
        {
            a = Fma.MultiplyAdd(Avx.LoadVector256(w + k), Avx.LoadVector256(x + k), a);
        }
        return Finish(a, x, w, k, depth, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Finish(Vector256<float> lanes, float* x, float* w, int k, int depth, float bias)
    {
        var sum = Vector128.Sum(lanes.GetLower() + lanes.GetUpper());
        for (; k < depth; k++)
        {
            sum = MathF.FusedMultiplyAdd(w[k], x[k], sum);
        }
        return sum + bias;
    }
}
