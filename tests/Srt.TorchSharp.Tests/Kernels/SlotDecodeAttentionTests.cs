using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

/// <summary>
/// The CPU slot-attention kernel against a float64 reference written with libtorch operations one slot and head at a
/// time (rotate, write the cache, attend over the slot's own tokens or window, soft cap, softmax), including grouped
/// key/value heads, ragged slot lengths, sliding windows, partial and absent rotary and head widths with a tail.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SlotDecodeAttentionTests
{
    // Outputs are convex combinations of value rows of size ~1; float32 rounding of 64-term sums stays far below this.
    private const double Tolerance = 2e-5;

    // (heads, kv heads, head dim, rotary width (0 = none), window (0 = none), soft cap (0 = none)).
    public static TheoryData<int, int, int, int, int, double> Shapes => new()
    {
        { 6, 2, 64, 64, 0, 0 },   // the 25m benchmark model's layer: GQA 3:1
        { 4, 1, 32, 16, 5, 0 },   // partial rotary, one KV head, window shorter than most slots
        { 4, 4, 16, 16, 0, 30 },  // multi-head, soft cap
        { 4, 2, 20, 20, 7, 50 },  // head width with a tail, window and soft cap (Gemma 2's local layer)
        { 2, 1, 24, 0, 0, 0 },    // a layer without rotary (SmolLM3's NoPE)
        { 2, 1, 104, 104, 0, 0 }, // head width 104: the weighted sum's 64-, 32- and 8-feature passes in one head
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Attend_RaggedSlots_MatchesFloat64ReferenceAndWritesTheCache(int heads, int kvHeads, int dim, int rotary, int window, double softcap)
    {
        using var scope = NewDisposeScope();
        var step = Step.Create(heads, kvHeads, dim, rotary, window, softcap, seed: heads * 100 + dim);
        var expected = step.Reference(step.Positions, kvHeadOf: head => head / (heads / kvHeads));

        var (output, keys, values) = step.RunKernel(step.Positions);

        Assert.Equal(new long[] { step.Positions.Length, 1, heads * dim }, output.shape);
        AssertClose(expected.Output, output, "attended values");
        AssertClose(expected.Keys, keys, "key cache");
        AssertClose(expected.Values, values, "value cache");
    }

    [Fact]
    public void Attend_WrongSlotLength_FailsTheReferenceCheck()
    {
        using var scope = NewDisposeScope();
        var step = Step.Create(6, 2, 64, 64, window: 0, softcap: 0, seed: 3);
        var expected = step.Reference(step.Positions, kvHeadOf: head => head / 3);
        var shifted = (long[])step.Positions.Clone();
        shifted[2] -= 1;

        var (output, _, _) = step.RunKernel(shifted);

        // Only slot 2 reads the wrong tokens; the check sees it.
        Assert.True(MaxError(expected.Output[2], output[2]) > 100 * Tolerance);
        Assert.True(MaxError(expected.Output[1], output[1]) <= Tolerance);
    }

    [Fact]
    public void Attend_ReferenceWithWrongKeyValueHeadMapping_FailsTheCheck()
    {
        using var scope = NewDisposeScope();
        var step = Step.Create(6, 2, 64, 64, window: 0, softcap: 0, seed: 4);
        // Interleaved (head % kv_heads) instead of grouped (head / group) is the classic GQA slip.
        var interleaved = step.Reference(step.Positions, kvHeadOf: head => head % 2);

        var (output, _, _) = step.RunKernel(step.Positions);

        Assert.True(MaxError(interleaved.Output, output) > 100 * Tolerance);
    }

    [Fact]
    public void Attend_EachSlot_BitwiseEqualAloneAndOnOneThread()
    {
        using var scope = NewDisposeScope();
        var step = Step.Create(6, 2, 64, 64, window: 0, softcap: 0, seed: 5);
        var previous = get_num_threads();
        Tensor together, serial;
        try
        {
            set_num_threads(2);
            together = step.RunKernel(step.Positions).Output;
            set_num_threads(1);
            serial = step.RunKernel(step.Positions).Output;
        }
        finally
        {
            set_num_threads(previous);
        }

        Assert.True(together.eq(serial).all().item<bool>());
        for (var slot = 0; slot < step.Positions.Length; slot++)
        {
            var alone = step.RunKernelAlone(slot);
            Assert.True(alone[0].eq(together[slot]).all().item<bool>(), $"slot {slot} differs when it runs alone");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        var error = MaxError(expected, actual);
        Assert.True(error <= Tolerance, $"{what}: max |kernel − reference| = {error:e2}");
    }

    private static double MaxError(Tensor expected, Tensor actual) =>
        (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64).reshape(expected.shape)).abs().max().item<double>();

    /// <summary>One step's inputs: six slots of ragged lengths in a cache of seven (the last slot idle), random values.
    /// The longest slots span several of the weighted sum's 32-row value chunks and end with keys short of a block of
    /// eight.</summary>
    private sealed record Step(
        Tensor Query, Tensor Key, Tensor Value, Tensor KeyCache, Tensor ValueCache, long[] Positions,
        Tensor? Cos, Tensor? Sin, int Heads, int KeyValueHeads, int Dim, int? Window, double Scale, double? Softcap)
    {
        public static Step Create(int heads, int kvHeads, int dim, int rotary, int window, double softcap, int seed)
        {
            var generator = new Generator((ulong)seed);
            long[] positions = [0, 9, 3, 40, 17, 70];
            const int Capacity = 80;
            var rows = positions.Length;
            Tensor? cos = null, sin = null;
            if (rotary > 0)
            {
                var angles = rand([Capacity, rotary / 2], generator: generator) * 6;
                var full = cat([angles, angles], -1);
                (cos, sin) = (full.cos(), full.sin());
            }
            return new Step(
                randn([rows, 1, heads * dim], generator: generator), randn([rows, 1, kvHeads * dim], generator: generator),
                randn([rows, 1, kvHeads * dim], generator: generator),
                randn([rows + 1, kvHeads, Capacity, dim], generator: generator), randn([rows + 1, kvHeads, Capacity, dim], generator: generator),
                positions, cos, sin, heads, kvHeads, dim, window > 0 ? window : null, 1.0 / Math.Sqrt(dim), softcap > 0 ? softcap : null);
        }

        public (Tensor Output, Tensor Keys, Tensor Values) RunKernel(long[] positions)
        {
            var (keys, values) = (KeyCache.clone(), ValueCache.clone());
            var output = SlotDecodeAttention.Attend(Query, Key, Value, keys, values, positions, Cos, Sin, Heads, Window, Scale, Softcap);
            return (output, keys, values);
        }

        public Tensor RunKernelAlone(int slot)
        {
            var keys = KeyCache.narrow(0, slot, 1).clone();
            var values = ValueCache.narrow(0, slot, 1).clone();
            return SlotDecodeAttention.Attend(
                Query.narrow(0, slot, 1), Key.narrow(0, slot, 1), Value.narrow(0, slot, 1), keys, values, [Positions[slot]],
                Cos, Sin, Heads, Window, Scale, Softcap);
        }

        /// <summary>What the libtorch path computes, in float64, one slot and query head at a time.</summary>
        public (Tensor Output, Tensor Keys, Tensor Values) Reference(long[] positions, Func<int, int> kvHeadOf)
        {
            var keys = KeyCache.to(ScalarType.Float64);
            var values = ValueCache.to(ScalarType.Float64);
            var outputs = new List<Tensor>();
            for (var row = 0; row < positions.Length; row++)
            {
                var position = positions[row];
                var query = Rotate(Query[row, 0].to(ScalarType.Float64).view(Heads, Dim), position);
                keys[row].select(1, position).copy_(Rotate(Key[row, 0].to(ScalarType.Float64).view(KeyValueHeads, Dim), position));
                values[row].select(1, position).copy_(Value[row, 0].to(ScalarType.Float64).view(KeyValueHeads, Dim));
                var first = Window is { } window ? Math.Max(0, position - window + 1) : 0;
                var heads = new List<Tensor>();
                for (var head = 0; head < Heads; head++)
                {
                    var group = kvHeadOf(head);
                    var seen = keys[row, group].narrow(0, first, position - first + 1);
                    var scores = seen.matmul(query[head]) * Scale;
                    if (Softcap is { } cap)
                    {
                        scores = (scores / cap).tanh() * cap;
                    }
                    heads.Add(scores.softmax(0).matmul(values[row, group].narrow(0, first, position - first + 1)));
                }
                outputs.Add(cat(heads, 0));
            }
            return (stack(outputs).unsqueeze(1), keys, values);
        }

        // HF's apply_rotary_pos_emb on the first R features: x·cos + rotate_half(x)·sin.
        private Tensor Rotate(Tensor x, long position)
        {
            if (Cos is null || Sin is null)
            {
                return x;
            }
            var width = Cos.shape[1];
            var (cos, sin) = (Cos[position].to(ScalarType.Float64), Sin[position].to(ScalarType.Float64));
            var part = x.narrow(1, 0, width);
            var rotated = cat([part.narrow(1, width / 2, width / 2).neg(), part.narrow(1, 0, width / 2)], 1);
            return cat([part * cos + rotated * sin, x.narrow(1, width, x.shape[1] - width)], 1);
        }
    }
}
