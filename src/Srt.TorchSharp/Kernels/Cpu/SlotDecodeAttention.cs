using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// One decoding step's attention for continuous batching on the CPU, in float32: one query token per slot, read
/// against that slot's keys and values where they lie in the slot cache. For each slot and key/value head it rotates
/// the new key (rotary, partial or none), writes key and value at the slot's own length, then rotates each query head
/// of the group and attends over the slot's cached tokens (its sliding window, where the layer has one), with an
/// optional soft cap on the scores (Gemma 2). The libtorch path it replaces builds rotary angles and a mask each step,
/// scatters keys and values into the cache and runs SDPA over the longest slot's width; here nothing is copied,
/// expanded or masked, and each slot reads only its own tokens.
/// </summary>
/// <remarks>
/// Each (slot, head) is computed alone, in a fixed order, by whichever thread takes it, so a slot's result does not
/// depend on the other slots of the step, on their lengths or on the thread count. Rotation rounds as the libtorch path
/// does (<c>x·cos</c> and <c>rotate_half(x)·sin</c> rounded apart, then added); scores, softmax and the weighted sum
/// differ from SDPA only by float32 rounding of another summation order.
/// </remarks>
internal static class SlotDecodeAttention
{
    // Below this many multiply-adds a step runs on the calling thread: waking a helper costs more.
    private const long SerialMultiplyAdds = 1L << 15;

    [ThreadStatic]
    private static float[]? _scores;

    /// <summary>Gets a value indicating whether this CPU has the instructions the kernel needs (AVX2 and FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Gets or sets a value indicating whether decoding steps may use the kernel; false makes them take the
    /// libtorch path, so tests and benchmarks can compare the two.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public static bool Enabled { get; set; } = true;

    /// <summary>Whether a step of a model with this dtype on this device runs the kernel.</summary>
    public static bool Applies(ScalarType dtype, Device device) =>
        Enabled && IsSupported && dtype == ScalarType.Float32 && device.type == DeviceType.CPU;

    /// <summary>
    /// Writes this step's keys and values into the cache at each slot's position and returns the attended values.
    /// </summary>
    /// <param name="query">[B, 1, heads·D] (or any view whose rows hold heads·D contiguous floats), before rotary.</param>
    /// <param name="key">[B, 1, kv_heads·D], before rotary.</param>
    /// <param name="value">[B, 1, kv_heads·D].</param>
    /// <param name="keyCache">[slots ≥ B, kv_heads, capacity, D], contiguous.</param>
    /// <param name="valueCache">Shaped as <paramref name="keyCache"/>.</param>
    /// <param name="positions">Each row's position: its cached length, where its key and value go.</param>
    /// <param name="cos">Rotary cos table [≥ max position + 1, R] (R even, at most D; the first R features of each head
    /// rotate), or null for a layer without rotary.</param>
    /// <param name="sin">Rotary sin table shaped as <paramref name="cos"/>.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="window">The layer's sliding window (a token sees itself and the window − 1 before it), or null.</param>
    /// <param name="scale">Score scale (SDPA's default is D^-1/2).</param>
    /// <param name="softcap">Soft cap <c>tanh(s / cap)·cap</c> on the scaled scores, or null.</param>
    /// <returns>[B, 1, heads·D], contiguous.</returns>
    public static Tensor Attend(
        Tensor query, Tensor key, Tensor value, Tensor keyCache, Tensor valueCache, ReadOnlySpan<long> positions,
        Tensor? cos, Tensor? sin, int heads, int? window, double scale, double? softcap)
    {
        var rows = (int)query.shape[0];
        var (kvHeads, capacity, dim) = ((int)keyCache.shape[1], (int)keyCache.shape[2], (int)keyCache.shape[3]);
        Validate(query, key, value, keyCache, valueCache, positions, cos, sin, rows, heads, kvHeads, capacity, dim);
        var q = Rows(query, heads * dim, out var queryStride);
        var k = Rows(key, kvHeads * dim, out var keyStride);
        var v = Rows(value, kvHeads * dim, out var valueStride);
        var output = empty([rows, 1, heads * dim], ScalarType.Float32);
        var job = new Job
        {
            Query = (nint)TensorMemory.Address(q), QueryStride = queryStride,
            Key = (nint)TensorMemory.Address(k), KeyStride = keyStride,
            Value = (nint)TensorMemory.Address(v), ValueStride = valueStride,
            KeyCache = (nint)TensorMemory.Address(keyCache), ValueCache = (nint)TensorMemory.Address(valueCache),
            Cos = cos is null ? 0 : (nint)TensorMemory.Address(cos), Sin = sin is null ? 0 : (nint)TensorMemory.Address(sin),
            RotaryWidth = cos is null ? 0 : (int)cos.shape[1],
            Output = (nint)TensorMemory.Address(output),
            Positions = positions.ToArray(), Heads = heads, KeyValueHeads = kvHeads, Capacity = capacity, Dim = dim,
            Window = window ?? 0, Scale = (float)scale, Softcap = softcap is { } cap ? (float)cap : 0f,
        };
        var items = rows * kvHeads;
        long work = 0;
        foreach (var position in positions)
        {
            work += 2L * heads * dim * (position + 1);
        }
        var threads = Math.Min(get_num_threads(), items);
        if (threads <= 1 || work < SerialMultiplyAdds)
        {
            for (var item = 0; item < items; item++)
            {
                job.Run(item);
            }
        }
        else
        {
            KernelWorkers.Shared.Run(items, threads, job.Run);
        }
        GC.KeepAlive(q);
        GC.KeepAlive(k);
        GC.KeepAlive(v);
        return output;
    }

    private static void Validate(
        Tensor query, Tensor key, Tensor value, Tensor keyCache, Tensor valueCache, ReadOnlySpan<long> positions,
        Tensor? cos, Tensor? sin, int rows, int heads, int kvHeads, long capacity, int dim)
    {
        foreach (var tensor in new[] { query, key, value, keyCache, valueCache, cos, sin })
        {
            if (tensor is not null && (tensor.dtype != ScalarType.Float32 || tensor.device_type != DeviceType.CPU))
            {
                throw new ArgumentException("SlotDecodeAttention takes float32 CPU tensors.");
            }
        }
        if (heads <= 0 || heads % kvHeads != 0 || positions.Length != rows || keyCache.shape[0] < rows
            || !keyCache.is_contiguous() || !valueCache.is_contiguous() || !keyCache.shape.SequenceEqual(valueCache.shape)
            || query.numel() != (long)rows * heads * dim || key.numel() != (long)rows * kvHeads * dim || value.numel() != key.numel())
        {
            throw new ArgumentException(
                $"SlotDecodeAttention: shapes do not fit (query [{string.Join(", ", query.shape)}], key [{string.Join(", ", key.shape)}], " +
                $"cache [{string.Join(", ", keyCache.shape)}], {positions.Length} positions, {heads} heads).");
        }
        foreach (var position in positions)
        {
            if (position < 0 || position >= capacity || (cos is not null && position >= cos.shape[0]))
            {
                throw new ArgumentException($"SlotDecodeAttention: position {position} is outside the cache capacity {capacity} or the rotary table.");
            }
        }
        if ((cos is null) != (sin is null) || (cos is not null && (!cos.is_contiguous() || !sin!.is_contiguous()
            || cos.dim() != 2 || !cos.shape.SequenceEqual(sin.shape) || cos.shape[1] % 2 != 0 || cos.shape[1] > dim)))
        {
            throw new ArgumentException("SlotDecodeAttention: rotary tables must be two contiguous [positions, R] tables, R even and at most head_dim.");
        }
    }

    /// <summary>A [rows, width] view of <paramref name="tensor"/> whose rows are contiguous, and the row stride.</summary>
    private static Tensor Rows(Tensor tensor, int width, out long stride)
    {
        var rows = tensor.reshape(-1, width);
        if (rows.stride(1) != 1)
        {
            rows = rows.contiguous();
        }
        stride = rows.stride(0);
        return rows;
    }

    private sealed class Job
    {
        public nint Query, Key, Value, KeyCache, ValueCache, Cos, Sin, Output;
        public long QueryStride, KeyStride, ValueStride;
        public long[] Positions = [];
        public int Heads, KeyValueHeads, Capacity, Dim, RotaryWidth, Window;
        public float Scale, Softcap;

        /// <summary>One slot and key/value head: store its key and value, then attend with each query head of its group.</summary>
        // Fully optimised from the first call, like the small-row kernel: tier-0 code of these loops runs many times slower.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void Run(int item)
        {
            var (row, group) = (item / KeyValueHeads, item % KeyValueHeads);
            var dim = Dim;
            var position = Positions[row];
            var headBase = ((long)row * KeyValueHeads + group) * Capacity;
            var keys = (float*)KeyCache + headBase * dim;
            var values = (float*)ValueCache + headBase * dim;
            var cos = Cos == 0 ? null : (float*)Cos + position * RotaryWidth;
            var sin = Sin == 0 ? null : (float*)Sin + position * RotaryWidth;
            Rotate((float*)Key + row * KeyStride + (long)group * dim, keys + position * dim, dim, cos, sin, RotaryWidth);
            new ReadOnlySpan<float>((float*)Value + row * ValueStride + (long)group * dim, dim).CopyTo(new Span<float>(values + position * dim, dim));

            var first = Window > 0 ? Math.Max(0, position - Window + 1) : 0;
            var count = (int)(position - first + 1);
            var scores = _scores is { } buffer && buffer.Length >= count ? buffer : _scores = new float[Math.Max(count, 1024)];
            var query = stackalloc float[dim];
            var sum = stackalloc float[dim];
            var perGroup = Heads / KeyValueHeads;
            fixed (float* s = scores)
            {
                for (var head = group * perGroup; head < (group + 1) * perGroup; head++)
                {
                    Rotate((float*)Query + row * QueryStride + (long)head * dim, query, dim, cos, sin, RotaryWidth);
                    Attend(query, keys + first * dim, values + first * dim, count, dim, s, sum, (float*)Output + ((long)row * Heads + head) * dim);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void Attend(float* query, float* keys, float* values, int count, int dim, float* scores, float* sum, float* output)
        {
            // Scores eight keys at a time: eight independent chains of fused multiply-adds keep both FMA units busy
            // (four left them waiting on each chain's latency half the time); the last few keys one at a time.
            var j = 0;
            for (; j + 7 < count; j += 8)
            {
                Dot8(query, keys + (long)j * dim, dim, scores + j);
            }
            for (; j < count; j++)
            {
                scores[j] = Dot(query, keys + (long)j * dim, dim);
            }
            var max = float.NegativeInfinity;
            for (j = 0; j < count; j++)
            {
                var score = scores[j] * Scale;
                if (Softcap > 0)
                {
                    score = MathF.Tanh(score / Softcap) * Softcap;
                }
                scores[j] = score;
                max = MathF.Max(max, score);
            }
            var total = 0f;
            j = 0;
            var shift = Vector256.Create(max);
            var totals = Vector256<float>.Zero;
            for (; j + 8 <= count; j += 8)
            {
                var weights = Vector256.Exp(Avx.LoadVector256(scores + j) - shift);
                Avx.Store(scores + j, weights);
                totals += weights;
            }
            total = Vector128.Sum(totals.GetLower() + totals.GetUpper());
            for (; j < count; j++)
            {
                var weight = MathF.Exp(scores[j] - max);
                scores[j] = weight;
                total += weight;
            }
            WeightedSum(scores, values, count, dim, sum);
            var inverse = 1f / total;
            for (var d = 0; d < dim; d++)
            {
                output[d] = sum[d] * inverse;
            }
        }
    }

    /// <summary>Σ_j weights[j]·values[j] into <paramref name="sum"/>, 64 (then 32, then 8) features at a time held in
    /// registers: eight independent chains per pass over the rows, so both FMA units stay busy. Each feature sums over j
    /// in order whichever pass computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightedSum(float* weights, float* values, int count, int dim, float* sum)
    {
        var d = 0;
        for (; d + 64 <= dim; d += 64)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
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
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
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
            var a = Vector256<float>.Zero;
            var row = values + d;
            for (var j = 0; j < count; j++, row += dim)
            {
                a = Fma.MultiplyAdd(Avx.LoadVector256(row), Vector256.Create(weights[j]), a);
            }
            Avx.Store(sum + d, a);
        }
        for (; d < dim; d++)
        {
            var a = 0f;
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
