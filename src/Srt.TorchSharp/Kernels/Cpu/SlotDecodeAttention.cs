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
/// optional soft cap on the scores (Gemma 2). The group's query heads read each block of keys and each chunk of values
/// in turn while it is in L1, so the cache streams from memory once per key/value head, not once per query head. The
/// libtorch path it replaces builds rotary angles and a mask each step, scatters keys and values into the cache and
/// runs SDPA over the longest slot's width; here nothing is copied, expanded or masked, and each slot reads only its
/// own tokens.
/// </summary>
/// <remarks>
/// Each (slot, key/value head) is computed alone, each query head's sums in a fixed order, by whichever thread takes
/// it, so a slot's result does not depend on the other slots of the step, on their lengths or on the thread count. Rotation rounds as the libtorch path
/// does (<c>x·cos</c> and <c>rotate_half(x)·sin</c> rounded apart, then added); scores, softmax and the weighted sum
/// differ from SDPA only by float32 rounding of another summation order.
/// </remarks>
internal static partial class SlotDecodeAttention
{
    // Below this many multiply-adds a step runs on the calling thread: waking a helper costs more.
    private const long SerialMultiplyAdds = 1L << 15;

    // Keys and values per chunk: 32 rows of up to 256 features stay in L1 while each query head of the group reads them.
    private const int CacheChunkRows = 32;

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
        // Each shape is read once: every read of a tensor's shape is a native call and a new array.
        var rows = (int)query.shape[0];
        var cacheShape = keyCache.shape;
        var (kvHeads, capacity, dim) = ((int)cacheShape[1], (int)cacheShape[2], (int)cacheShape[3]);
        var rotaryShape = cos?.shape;
        Validate(query, key, value, keyCache, valueCache, positions, cos, sin, rows, heads, cacheShape, rotaryShape);
        var q = Rows(query, heads * dim, out var queryStride);
        var k = Rows(key, kvHeads * dim, out var keyStride);
        var v = Rows(value, kvHeads * dim, out var valueStride);
        var output = empty([rows, 1, heads * dim], ScalarType.Float32);
        var job = new Job
        {
            Query = (nint)TensorMemory.Address(q), QueryStride = queryStride,
            Key = (nint)TensorMemory.Address(k), KeyStride = keyStride,
            Value = (nint)TensorMemory.Address(v), ValueStride = valueStride,
            Output = (nint)TensorMemory.Address(output),
            Positions = positions.ToArray(), Heads = heads, KeyValueHeads = kvHeads, Capacity = capacity, Dim = dim,
            Scale = (float)scale, Softcap = softcap is { } cap ? (float)cap : 0f,
        }.WithCache(keyCache, valueCache, cos, sin, rotaryShape is null ? 0 : (int)rotaryShape[1], window);
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
        Tensor? cos, Tensor? sin, int rows, int heads, long[] cacheShape, long[]? rotaryShape)
    {
        foreach (var tensor in new[] { query, key, value, keyCache, valueCache, cos, sin })
        {
            if (tensor is not null && (tensor.dtype != ScalarType.Float32 || tensor.device_type != DeviceType.CPU))
            {
                throw new ArgumentException("SlotDecodeAttention takes float32 CPU tensors.");
            }
        }
        var (kvHeads, capacity, dim) = (cacheShape[1], cacheShape[2], cacheShape[3]);
        if (heads <= 0 || heads % kvHeads != 0 || positions.Length != rows || cacheShape[0] < rows
            || !keyCache.is_contiguous() || !valueCache.is_contiguous() || !cacheShape.SequenceEqual(valueCache.shape)
            || query.numel() != rows * heads * dim || key.numel() != rows * kvHeads * dim || value.numel() != rows * kvHeads * dim)
        {
            throw new ArgumentException(
                $"SlotDecodeAttention: shapes do not fit (query [{string.Join(", ", query.shape)}], key [{string.Join(", ", key.shape)}], " +
                $"cache [{string.Join(", ", cacheShape)}], {positions.Length} positions, {heads} heads).");
        }
        CheckPositions(positions, capacity, cos, sin, rotaryShape, dim);
    }

    /// <summary>Throws unless every position has its place in the cache and its row in the rotary tables, and the
    /// tables (where the layer has them) are two contiguous [positions, R] tables, R even and at most the head width.</summary>
    internal static void CheckPositions(ReadOnlySpan<long> positions, long capacity, Tensor? cos, Tensor? sin, long[]? rotaryShape, long dim)
    {
        var positionsEnd = Math.Min(capacity, rotaryShape?[0] ?? long.MaxValue);
        foreach (var position in positions)
        {
            if (position < 0 || position >= positionsEnd)
            {
                throw new ArgumentException($"SlotDecodeAttention: position {position} is outside the cache capacity {capacity} or the rotary table.");
            }
        }
        if ((cos is null) != (sin is null) || (rotaryShape is not null && (!cos!.is_contiguous() || !sin!.is_contiguous()
            || rotaryShape.Length != 2 || !rotaryShape.SequenceEqual(sin.shape) || rotaryShape[1] % 2 != 0 || rotaryShape[1] > dim)))
        {
            throw new ArgumentException("SlotDecodeAttention: rotary tables must be two contiguous [positions, R] tables, R even and at most head_dim.");
        }
    }

    /// <summary><paramref name="tensor"/> itself where contiguous, else a [rows, width] view (or copy) of it whose rows are
    /// contiguous; and the row stride.</summary>
    private static Tensor Rows(Tensor tensor, int width, out long stride)
    {
        if (tensor.is_contiguous())
        {
            stride = width;
            return tensor;
        }
        var rows = tensor.reshape(-1, width);
        if (rows.stride(1) != 1)
        {
            rows = rows.contiguous();
        }
        stride = rows.stride(0);
        return rows;
    }

    /// <summary>One step's attention for one layer, as addresses: <see cref="Run"/> computes one (slot, key/value
    /// head) item of it. Callers check shapes and positions first (<see cref="Attend"/> does, and so does
    /// <see cref="SlotDecodeLayers"/> for every layer of a step at once).</summary>
    internal sealed class Job
    {
        public nint Query, Key, Value, KeyCache, ValueCache, Cos, Sin, Output;
        public long QueryStride, KeyStride, ValueStride;
        public long[] Positions = [];
        public int Heads, KeyValueHeads, Capacity, Dim, RotaryWidth, Window;
        public float Scale, Softcap;

        /// <summary>This job reading and writing the layer's slot cache, with its rotary tables (or none) and window.</summary>
        public Job WithCache(Tensor keyCache, Tensor valueCache, Tensor? cos, Tensor? sin, int rotaryWidth, int? window)
        {
            (KeyCache, ValueCache) = ((nint)TensorMemory.Address(keyCache), (nint)TensorMemory.Address(valueCache));
            (Cos, Sin) = (cos is null ? 0 : (nint)TensorMemory.Address(cos), sin is null ? 0 : (nint)TensorMemory.Address(sin));
            (RotaryWidth, Window) = (cos is null ? 0 : rotaryWidth, window ?? 0);
            return this;
        }

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
            var perGroup = Heads / KeyValueHeads;
            var scores = _scores is { } buffer && buffer.Length >= perGroup * count ? buffer : _scores = new float[Math.Max(perGroup * count, 4096)];
            var queries = stackalloc float[perGroup * dim];
            var sums = stackalloc float[perGroup * dim];
            var totals = stackalloc float[perGroup];
            var firstHead = group * perGroup;
            for (var h = 0; h < perGroup; h++)
            {
                Rotate((float*)Query + row * QueryStride + (long)(firstHead + h) * dim, queries + h * dim, dim, cos, sin, RotaryWidth);
            }
            fixed (float* s = scores)
            {
                Score(queries, keys + first * dim, count, dim, perGroup, s);
                for (var h = 0; h < perGroup; h++)
                {
                    totals[h] = Normalize(s + (long)h * count, count);
                }
                WeightedSums(s, values + first * dim, count, dim, perGroup, sums);
            }
            for (var h = 0; h < perGroup; h++)
            {
                var inverse = 1f / totals[h];
                var output = (float*)Output + ((long)row * Heads + firstHead + h) * dim;
                for (var d = 0; d < dim; d++)
                {
                    output[d] = sums[h * dim + d] * inverse;
                }
            }
        }

        /// <summary>Every head's raw scores against the keys, head h's in scores[h·count ..]: eight keys at a time (eight
        /// independent chains of fused multiply-adds keep both FMA units busy), chunk by chunk of keys, each chunk read
        /// from memory once and from L1 by the group's other heads; the last few keys one at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static unsafe void Score(float* queries, float* keys, int count, int dim, int heads, float* scores)
        {
            var whole = count & ~7;
            for (var start = 0; start < whole; start += CacheChunkRows)
            {
                var end = Math.Min(whole, start + CacheChunkRows);
                for (var h = 0; h < heads; h++)
                {
                    for (var block = start; block < end; block += 8)
                    {
                        Dot8(queries + h * dim, keys + (long)block * dim, dim, scores + (long)h * count + block);
                    }
                }
            }
            for (var j = whole; j < count; j++)
            {
                for (var h = 0; h < heads; h++)
                {
                    scores[(long)h * count + j] = Dot(queries + h * dim, keys + (long)j * dim, dim);
                }
            }
        }

        /// <summary>Scales (and soft-caps) one head's scores, replaces them by exp(score − max) and returns their sum.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe float Normalize(float* scores, int count)
        {
            var max = float.NegativeInfinity;
            var j = 0;
            if (Softcap == 0)
            {
                // Eight scores at a time: the same products, and the maximum does not depend on the order it is taken in.
                var scale = Vector256.Create(Scale);
                var maxima = Vector256.Create(float.NegativeInfinity);
                for (; j + 8 <= count; j += 8)
                {
                    var scaled = Avx.LoadVector256(scores + j) * scale;
                    Avx.Store(scores + j, scaled);
                    maxima = Vector256.Max(maxima, scaled);
                }
                for (var lane = 0; lane < 8; lane++)
                {
                    max = MathF.Max(max, maxima.GetElement(lane));
                }
            }
            for (; j < count; j++)
            {
                var score = scores[j] * Scale;
                if (Softcap > 0)
                {
                    score = MathF.Tanh(score / Softcap) * Softcap;
                }
                scores[j] = score;
                max = MathF.Max(max, score);
            }
            var i = 0;
            var shift = Vector256.Create(max);
            var lanes = Vector256<float>.Zero;
            for (; i + 8 <= count; i += 8)
            {
                var weights = Vector256.Exp(Avx.LoadVector256(scores + i) - shift);
                Avx.Store(scores + i, weights);
                lanes += weights;
            }
            var total = Vector128.Sum(lanes.GetLower() + lanes.GetUpper());
            for (; i < count; i++)
            {
                var weight = MathF.Exp(scores[i] - max);
                scores[i] = weight;
                total += weight;
            }
            return total;
        }
    }
}
