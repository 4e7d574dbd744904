using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Srt.TorchSharp.Kernels.Cuda;
using static Srt.TorchSharp.Kernels.Cpu.CpuTensorChecks;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>The shapes a fused step's layers share, and the step itself as tickets over phases.</summary>
internal static partial class SlotDecodeLayers
{
    private const int PhasesPerLayer = 7;

    /// <summary>What every layer of a fused step must share: widths, heads and the slot caches' shape.</summary>
    private sealed record StepShape(long Width, int Heads, long KeyValueHeads, long Dim, long Slots, long Capacity, long Intermediate)
    {
        public long QueryWidth => Heads * Dim;

        public long KeyWidth => KeyValueHeads * Dim;

        public static StepShape? Of(SlotDecodeLayer layer, long rows, long width)
        {
            if (!IsContiguous(layer.KeyCache, 4) || !IsContiguous(layer.Gate, 2) || layer.Heads <= 0)
            {
                return null;
            }
            var cache = layer.KeyCache;
            var shape = new StepShape(width, layer.Heads, cache.size(1), cache.size(3), cache.size(0), cache.size(2), layer.Gate.size(0));
            return shape.KeyValueHeads > 0 && shape.Heads % shape.KeyValueHeads == 0 && shape.Slots >= rows
                && shape.QueryWidth <= int.MaxValue && shape.Intermediate <= int.MaxValue && shape.Capacity <= int.MaxValue ? shape : null;
        }

        /// <summary>Whether every tensor of <paramref name="layer"/> has the shape its role needs in this step.</summary>
        public bool Fits(SlotDecodeLayer layer) =>
            layer.Heads == Heads
            && IsVector(layer.InputNorm, Width) && IsVector(layer.PostAttentionNorm, Width)
            && Product(layer.Query, layer.QueryBias, QueryWidth, Width) && Product(layer.Key, layer.KeyBias, KeyWidth, Width)
            && Product(layer.Value, layer.ValueBias, KeyWidth, Width) && Product(layer.Output, layer.OutputBias, Width, QueryWidth)
            && Product(layer.Gate, layer.GateBias, Intermediate, Width) && Product(layer.Up, layer.UpBias, Intermediate, Width)
            && Product(layer.Down, layer.DownBias, Width, Intermediate)
            && Cache(layer.KeyCache) && Cache(layer.ValueCache)
            && (layer.Cos is null ? layer.Sin is null : IsContiguous(layer.Cos, 2) && IsContiguous(layer.Sin, 2));

        /// <summary>Floats of scratch per row: the norm's output, q, k, v, attention's output, the residual stream
        /// between attention and MLP, and the gate and up activations.</summary>
        public long ScratchFloats(int rows) => rows * (2 * Width + 2 * QueryWidth + 2 * KeyWidth + 2 * Intermediate);

        private static bool Product(Tensor weight, Tensor? bias, long features, long depth) =>
            IsMatrix(weight, features, depth) && (bias is null || IsVector(bias, features));

        private bool Cache(Tensor cache) =>
            IsContiguous(cache, 4) && cache.size(0) == Slots && cache.size(1) == KeyValueHeads
            && cache.size(2) == Capacity && cache.size(3) == Dim;
    }

    /// <summary>
    /// One fused step as tickets 0 .. <see cref="Tickets"/> − 1 over seven phases per layer; a thread runs whichever
    /// ticket it takes next (in increasing order), after waiting for the phase before that ticket's to finish. A taken
    /// ticket never waits on a later one, so any number of threads, one included, completes the step.
    /// </summary>
    private sealed class FusedStep
    {
        private readonly int _rows;
        private readonly int _width, _queryWidth, _keyWidth, _intermediate;
        private readonly int _queryBlock, _keyBlock, _widthBlock, _intermediateBlock;
        private readonly int _queryBlocks, _keyBlocks;
        private readonly Addresses[] _layers;
        private readonly int[] _start, _units, _done;
        private readonly nint _input, _output, _normed, _query, _key, _value, _attended, _middle, _gate, _up;

        public FusedStep(StepShape shape, int rows, long[] positions, IReadOnlyList<SlotDecodeLayer> layers, Tensor input, Tensor output, Tensor scratch)
        {
            _rows = rows;
            (_width, _queryWidth, _keyWidth, _intermediate) = ((int)shape.Width, (int)shape.QueryWidth, (int)shape.KeyWidth, (int)shape.Intermediate);
            var threads = Math.Max(1, get_num_threads());
            (_queryBlock, _keyBlock) = (SmallRowLinear.BlockFeatures(_queryWidth, threads), SmallRowLinear.BlockFeatures(_keyWidth, threads));
            (_widthBlock, _intermediateBlock) = (SmallRowLinear.BlockFeatures(_width, threads), SmallRowLinear.BlockFeatures(_intermediate, threads));
            (_queryBlocks, _keyBlocks) = (Blocks(_queryWidth, _queryBlock), Blocks(_keyWidth, _keyBlock));

            (_input, _output) = ((nint)TensorMemory.Address(input), (nint)TensorMemory.Address(output));
            var next = (nint)TensorMemory.Address(scratch);
            nint Take(long floats)
            {
                var taken = next;
                next += (nint)(floats * rows * sizeof(float));
                return taken;
            }
            (_normed, _query, _key, _value) = (Take(_width), Take(_queryWidth), Take(_keyWidth), Take(_keyWidth));
            (_attended, _middle, _gate, _up) = (Take(_queryWidth), Take(_width), Take(_intermediate), Take(_intermediate));

            _layers = layers.Select(layer => new Addresses(layer, new SlotDecodeAttention.Job
            {
                Query = _query, QueryStride = _queryWidth, Key = _key, KeyStride = _keyWidth, Value = _value, ValueStride = _keyWidth,
                Output = _attended, Positions = positions, Heads = (int)shape.Heads, KeyValueHeads = (int)shape.KeyValueHeads,
                Capacity = (int)shape.Capacity, Dim = (int)shape.Dim, Scale = (float)layer.Scale,
            }.WithCache(layer.KeyCache, layer.ValueCache, layer.Cos, layer.Sin, layer.Cos is null ? 0 : (int)layer.Cos.size(1), layer.Window))).ToArray();

            int[] perLayer =
            [
                rows,
                _queryBlocks + 2 * _keyBlocks,
                rows * (int)shape.KeyValueHeads,
                Blocks(_width, _widthBlock),
                rows,
                Blocks(_intermediate, _intermediateBlock),
                Blocks(_width, _widthBlock),
            ];
            _units = Enumerable.Range(0, layers.Count).SelectMany(_ => perLayer).ToArray();
            _start = new int[_units.Length];
            for (var phase = 1; phase < _units.Length; phase++)
            {
                _start[phase] = _start[phase - 1] + _units[phase - 1];
            }
            _done = new int[_units.Length];
            Tickets = _start[^1] + _units[^1];
        }

        public int Tickets { get; }

        // Every method a ticket runs is fully optimised from its first call, as the kernels it calls are: a decoding
        // run's first steps would otherwise run tier-0 code, and then share the cores with its recompilation.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int ticket)
        {
            var found = Array.BinarySearch(_start, ticket);
            var phase = found >= 0 ? found : ~found - 1;
            if (phase > 0)
            {
                var wait = new SpinWait();
                while (Volatile.Read(ref _done[phase - 1]) < _units[phase - 1])
                {
                    wait.SpinOnce(sleep1Threshold: -1);
                }
            }
            try
            {
                Execute(_layers[phase / PhasesPerLayer], phase / PhasesPerLayer == 0 ? _input : _output, phase % PhasesPerLayer, ticket - _start[phase]);
            }
            finally
            {
                Interlocked.Increment(ref _done[phase]);
            }
        }

        private static int Blocks(int features, int block) => (features + block - 1) / block;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void Execute(Addresses layer, nint input, int kind, int unit)
        {
            switch (kind)
            {
                case 0:
                    Norm(input, layer.InputNorm, layer.Epsilon, unit);
                    break;
                case 1:
                    if (unit < _queryBlocks)
                    {
                        Product(_normed, layer.Query, layer.QueryBias, _query, _width, _queryWidth, _queryBlock, unit);
                    }
                    else if (unit < _queryBlocks + _keyBlocks)
                    {
                        Product(_normed, layer.Key, layer.KeyBias, _key, _width, _keyWidth, _keyBlock, unit - _queryBlocks);
                    }
                    else
                    {
                        Product(_normed, layer.Value, layer.ValueBias, _value, _width, _keyWidth, _keyBlock, unit - _queryBlocks - _keyBlocks);
                    }
                    break;
                case 2:
                    layer.Attention.Run(unit);
                    break;
                case 3:
                    var (first, end) = Product(_attended, layer.Output, layer.OutputBias, _middle, _queryWidth, _width, _widthBlock, unit);
                    AddResidual(input, _middle, first, end);
                    break;
                case 4:
                    Norm(_middle, layer.PostAttentionNorm, layer.Epsilon, unit);
                    break;
                case 5:
                    var (gateFirst, gateEnd) = Product(_normed, layer.Gate, layer.GateBias, _gate, _width, _intermediate, _intermediateBlock, unit);
                    SmallRowLinear.Compute(_normed, layer.Up, layer.UpBias, _up, _rows, _width, _intermediate, gateFirst, gateEnd);
                    SmallRowLinear.Gate(_gate, _up, _rows, _intermediate, gateFirst, gateEnd);
                    break;
                default:
                    var (downFirst, downEnd) = Product(_gate, layer.Down, layer.DownBias, _output, _intermediate, _width, _widthBlock, unit);
                    AddResidual(_middle, _output, downFirst, downEnd);
                    break;
            }
        }

        /// <summary>Row <paramref name="row"/> of <paramref name="source"/>, normed into the scratch's norm output.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void Norm(nint source, nint weight, float epsilon, int row) =>
            SmallRowRmsNorm.Normalize((float*)source + (long)row * _width, (float*)weight, (float*)_normed + (long)row * _width, _width, epsilon);

        /// <summary>Output features of block <paramref name="block"/> of <c>x Wᵀ + b</c> for every row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (int First, int End) Product(nint x, nint weight, nint bias, nint y, int depth, int features, int blockFeatures, int block)
        {
            var (first, end) = (block * blockFeatures, Math.Min(features, (block + 1) * blockFeatures));
            SmallRowLinear.Compute(x, weight, bias, y, _rows, depth, features, first, end);
            return (first, end);
        }

        /// <summary>y ← residual + y over features [first, end) of every row: libtorch's <c>residual.add(y)</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void AddResidual(nint residual, nint y, int first, int end)
        {
            for (var row = 0; row < _rows; row++)
            {
                var r = (float*)residual + (long)row * _width;
                var o = (float*)y + (long)row * _width;
                var j = first;
                for (; j + 8 <= end; j += 8)
                {
                    (Vector256.Load(r + j) + Vector256.Load(o + j)).Store(o + j);
                }
                for (; j < end; j++)
                {
                    o[j] = r[j] + o[j];
                }
            }
        }
    }

    /// <summary>A layer's weights as addresses, and its attention job.</summary>
    private sealed class Addresses(SlotDecodeLayer layer, SlotDecodeAttention.Job attention)
    {
        public nint InputNorm { get; } = Of(layer.InputNorm);

        public nint PostAttentionNorm { get; } = Of(layer.PostAttentionNorm);

        public float Epsilon { get; } = (float)layer.Epsilon;

        public nint Query { get; } = Of(layer.Query);

        public nint QueryBias { get; } = Of(layer.QueryBias);

        public nint Key { get; } = Of(layer.Key);

        public nint KeyBias { get; } = Of(layer.KeyBias);

        public nint Value { get; } = Of(layer.Value);

        public nint ValueBias { get; } = Of(layer.ValueBias);

        public nint Output { get; } = Of(layer.Output);

        public nint OutputBias { get; } = Of(layer.OutputBias);

        public nint Gate { get; } = Of(layer.Gate);

        public nint GateBias { get; } = Of(layer.GateBias);

        public nint Up { get; } = Of(layer.Up);

        public nint UpBias { get; } = Of(layer.UpBias);

        public nint Down { get; } = Of(layer.Down);

        public nint DownBias { get; } = Of(layer.DownBias);

        public SlotDecodeAttention.Job Attention { get; } = attention;

        private static nint Of(Tensor? tensor) => tensor is null ? 0 : (nint)TensorMemory.Address(tensor);
    }
}
