using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Modeling.Modules;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class PackingTests
{
    // Float32 on a tiny model: packed and padded passes differ only in the order of float32 sums.
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForwardHiddenPacked_ThreeSequencesInOneRow_MatchEachSequenceAlone(bool perSequenceAttention)
    {
        using var model = TrainingFixtures.Model();
        var sequences = Sequences(11, 4, 7);
        using var batch = PackedSequenceBatch.Collate(sequences, rowTokens: 64, model.Device);
        using var noGrad = no_grad();

        using var packed = batch.ForwardHidden(model, new PackingSettings(64, perSequenceAttention));

        Assert.Equal(new long[] { 1, 10 + 3 + 6, TrainingFixtures.Config().HiddenSize }, packed.shape);
        for (int s = 0; s < sequences.Count; s++)
        {
            var (row, start) = batch.Placement[s];
            using var ids = tensor(sequences[s].Ids[..^1].Select(i => (long)i).ToArray(), ScalarType.Int64).unsqueeze(0);
            using var alone = model.ForwardHidden(ids);
            using var slice = packed.narrow(0, row, 1).narrow(1, start, sequences[s].Length - 1);
            Assert.True(TinyMaxAbs(alone, slice) < 1e-5, $"sequence {s}: {TinyMaxAbs(alone, slice)}");
        }
    }

    [Fact]
    public void SequenceMask_PackedCausal_IsBlockDiagonalAndCausal()
    {
        using var ids = tensor(new long[] { 0, 0, 1, 1, 1, -1 }, ScalarType.Int64).unsqueeze(0);

        using var mask = SequenceMask.PackedCausal(ids);

        bool[,] expected =
        {
            { true, false, false, false, false, false },
            { true, true, false, false, false, false },
            { false, false, true, false, false, false },
            { false, false, true, true, false, false },
            { false, false, true, true, true, false },
            { false, false, false, false, false, true },
        };
        Assert.Equal(new long[] { 1, 1, 6, 6 }, mask.shape);
        for (int q = 0; q < 6; q++)
        {
            for (int k = 0; k < 6; k++)
            {
                Assert.Equal(expected[q, k], mask[0, 0, q, k].item<bool>());
            }
        }
    }

    [Fact]
    public void Collate_SequencesOverTwoRows_PositionsRestartAndTargetsStayInTheirSequence()
    {
        var sequences = Sequences(9, 5, 6);

        using var batch = PackedSequenceBatch.Collate(sequences, rowTokens: 10, CPU);

        // Inputs are L-1 tokens: 8, 4 and 5; first-fit decreasing puts 8 alone and 4 + 5 together.
        Assert.Equal(new long[] { 2, 9 }, batch.Inputs.shape);
        Assert.Equal([(0, 0), (1, 0), (1, 4)], batch.Placement);
        Assert.Equal(new long[] { 0, 1, 2, 3, 0, 1, 2, 3, 4 }, batch.Positions[1].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 2, 2, 2, 2, 2 }, batch.SequenceIds[1].data<long>().ToArray());
        Assert.Equal(-1, batch.SequenceIds[0, 8].item<long>()); // padding after the 8-token sequence
        Assert.False(batch.Mask[0, 8].item<bool>());
        Assert.Equal(sequences[1].Ids[4], batch.Targets[1, 3].item<long>()); // the last target is the sequence's own last token
        Assert.Equal(sequences[2].Ids[0], batch.Inputs[1, 4].item<long>());
        Assert.Equal(sequences[1].LossMask[1..], batch.Mask[1].data<bool>().ToArray()[..4]);
    }

    [Fact]
    public void SequencePacker_LongTailedLengths_EveryIndexOnceAndRowsWithinCapacity()
    {
        var lengths = Enumerable.Range(0, 200).Select(i => 1 + (i * 7919 % 97) * (i % 5 == 0 ? 10 : 1)).ToArray();

        var rows = SequencePacker.Pack(lengths, 1000);

        Assert.Equal(Enumerable.Range(0, 200), rows.SelectMany(r => r).Order());
        Assert.All(rows, r => Assert.True(r.Sum(i => lengths[i]) <= 1000));
        Assert.True(rows.Count <= lengths.Sum() / 1000 + 2, $"{rows.Count} rows for {lengths.Sum()} tokens");
        Assert.Throws<ArgumentException>(() => SequencePacker.Pack([5, 1001], 1000));
    }

    [Fact]
    public void SequencePacker_FirstFitLeavesTheLastRowShort_SpreadsTheSequencesEvenly()
    {
        // First-fit decreasing: [1500 + 100 + 100] and [1500], a pass of 2 x 1,700 cells for 3,200 tokens.
        var rows = SequencePacker.Pack([1500, 1500, 100, 100], 2048);

        Assert.Equal([[0, 2], [1, 3]], rows);
    }

    [Fact]
    public void SequencePacker_SpreadRowsWouldOverflow_KeepsTheFirstFitRows()
    {
        // Spreading over two rows would put 1000 + 700 + 700 in one: 2,400 > 2,100.
        var rows = SequencePacker.Pack([1000, 1000, 700, 700, 700], 2100);

        Assert.Equal([[0, 1], [2, 3, 4]], rows);
    }

    [Fact]
    public void SequencePacker_LongTailedMicroBatches_NoMoreRowsAndFewerCellsThanFirstFit()
    {
        var random = new Random(5);
        long packedCells = 0, firstFitCells = 0;
        for (int batch = 0; batch < 300; batch++)
        {
            int[] lengths = [.. Enumerable.Range(0, 2 + batch % 7).Select(_ => (int)Math.Clamp(320 * Math.Exp(0.8 * Normal(random)), 64, 2048))];

            var rows = SequencePacker.Pack(lengths, 2048);
            var reference = FirstFitDecreasing(lengths, 2048);

            Assert.Equal(Enumerable.Range(0, lengths.Length), rows.SelectMany(r => r).Order());
            Assert.All(rows, r => Assert.True(r.Sum(i => lengths[i]) <= 2048));
            Assert.Equal(reference.Count, rows.Count);
            long cells = (long)rows.Count * rows.Max(r => r.Sum(i => lengths[i]));
            long referenceCells = (long)reference.Count * reference.Max();
            Assert.True(cells <= referenceCells, $"batch {batch}: {cells} cells against first-fit's {referenceCells}");
            (packedCells, firstFitCells) = (packedCells + cells, firstFitCells + referenceCells);
        }

        // The padding first-fit leaves in a long-tailed mix is mostly gone.
        Assert.True(packedCells < 0.95 * firstFitCells, $"{packedCells} cells against first-fit's {firstFitCells}");
    }

    // An independent first-fit decreasing: the row fills it reaches.
    private static List<int> FirstFitDecreasing(int[] lengths, int capacity)
    {
        var fills = new List<int>();
        foreach (int length in lengths.OrderDescending())
        {
            int row = fills.FindIndex(f => f + length <= capacity);
            if (row < 0)
            {
                fills.Add(length);
            }
            else
            {
                fills[row] += length;
            }
        }

        return fills;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Theory]
    [InlineData(LossImplementation.Fused, false, true)]
    [InlineData(LossImplementation.Fused, false, false)]
    [InlineData(LossImplementation.Plain, false, true)]
    [InlineData(LossImplementation.Fused, true, true)]
    [InlineData(LossImplementation.Plain, true, false)]
    public void SupervisedObjective_Packed_LossAndGradientsEqualUnpacked(LossImplementation loss, bool lora, bool perSequenceAttention)
    {
        var sequences = Sequences(12, 5, 9, 3, 15, 7);
        int[] micro = [0, 1, 2, 3, 4, 5];
        double normalizer = sequences.Sum(s => (double)s.TrainedTokens);

        var (paddedLoss, paddedGradients) = RunSupervised(sequences, micro, normalizer, loss, lora, packing: null);
        var (packedLoss, packedGradients) = RunSupervised(sequences, micro, normalizer, loss, lora, new PackingSettings(20, perSequenceAttention));

        Assert.Equal(paddedLoss / normalizer, packedLoss / normalizer, Tolerance);
        AssertGradientsEqual(paddedGradients, packedGradients);
    }

    [Theory]
    [InlineData(LossImplementation.Fused, false)]
    [InlineData(LossImplementation.Plain, false)]
    [InlineData(LossImplementation.Fused, true)]
    public void PreferenceObjective_Packed_ReferenceLossMetricsAndGradientsEqualUnpacked(LossImplementation loss, bool lora)
    {
        var pairs = Enumerable.Range(0, 4).Select(i => (Sequence($"c{i}", 6 + 3 * i, seed: i), Sequence($"r{i}", 9 - i, seed: 10 + i))).ToList();
        int[] micro = [0, 1, 2, 3];

        var padded = RunPreference(pairs, micro, loss, lora, BatchLayout.LengthBuckets);
        var packed = RunPreference(pairs, micro, loss, lora, BatchLayout.Packed);

        Assert.Equal(padded.Loss, packed.Loss, Tolerance);
        Assert.Equal(padded.Reference, packed.Reference, (a, b) => Math.Abs(a - b) < 1e-5); // sums of ~40 log-probs
        foreach (var (key, value) in padded.Metrics)
        {
            Assert.True(Math.Abs(value - packed.Metrics[key]) < 1e-5, $"{key}: {value} vs {packed.Metrics[key]}");
        }
        AssertGradientsEqual(padded.Gradients, packed.Gradients);
    }

    [Theory]
    [InlineData("gemma2", true)]
    [InlineData("gemma2", false)]
    [InlineData("mistral-window", true)]
    public void SupervisedObjective_PackedSlidingWindowModel_LossAndGradientsEqualUnpacked(string variant, bool perSequenceAttention)
    {
        // Windows of 4-5 tokens inside sequences of up to 15: the window must count within each packed sequence, and
        // Gemma 2's soft-capped logits must reach the packed loss.
        var sequences = Sequences(12, 5, 9, 3, 15, 7);
        int[] micro = [0, 1, 2, 3, 4, 5];
        double normalizer = sequences.Sum(s => (double)s.TrainedTokens);
        LlamaForCausalLM Create() => TinyGemma.Create(TinyGemma.Config(variant, TrainingFixtures.VocabularySize));

        var (paddedLoss, paddedGradients) = RunSupervised(sequences, micro, normalizer, LossImplementation.Fused, lora: false, packing: null, Create);
        var (packedLoss, packedGradients) = RunSupervised(
            sequences, micro, normalizer, LossImplementation.Fused, lora: false, new PackingSettings(20, perSequenceAttention), Create);

        Assert.Equal(paddedLoss / normalizer, packedLoss / normalizer, Tolerance);
        AssertGradientsEqual(paddedGradients, packedGradients);
    }

    [Fact]
    public void PreferenceObjective_PackedGemma2_ReferenceLossAndGradientsEqualUnpacked()
    {
        var pairs = Enumerable.Range(0, 4).Select(i => (Sequence($"c{i}", 6 + 3 * i, seed: i), Sequence($"r{i}", 9 - i, seed: 10 + i))).ToList();
        int[] micro = [0, 1, 2, 3];
        LlamaForCausalLM Create() => TinyGemma.Create(TinyGemma.Config("gemma2", TrainingFixtures.VocabularySize));

        var padded = RunPreference(pairs, micro, LossImplementation.Fused, lora: false, BatchLayout.LengthBuckets, Create);
        var packed = RunPreference(pairs, micro, LossImplementation.Fused, lora: false, BatchLayout.Packed, Create);

        Assert.Equal(padded.Loss, packed.Loss, Tolerance);
        Assert.Equal(padded.Reference, packed.Reference, (a, b) => Math.Abs(a - b) < 1e-5);
        AssertGradientsEqual(padded.Gradients, packed.Gradients);
    }

    [Theory]
    [InlineData(BatchLayout.Packed)]
    [InlineData(BatchLayout.LengthBuckets)]
    public async Task TrainSupervised_EitherLayout_LossFallsOverTheSameTrainedTokens(BatchLayout layout)
    {
        using var model = TrainingFixtures.Model();
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.LearningRate = 1e-2; o.Epochs = 6; o.BatchLayout = layout; }));
        var losses = new List<double>();

        var result = await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));

        Assert.True(losses[^1] < 0.7 * losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");
        Assert.Equal(6 * TrainingFixtures.RepeatExamples().Sum(e => e.Completion[0].Text.Length + 1), result.TrainedTokens);
    }

    private static (double Loss, Dictionary<string, float[]> Gradients) RunSupervised(
        IReadOnlyList<TrainingSequence> sequences, int[] micro, double normalizer, LossImplementation loss, bool lora, PackingSettings? packing,
        Func<LlamaForCausalLM>? createModel = null)
    {
        using var model = (createModel ?? (() => TrainingFixtures.Model()))();
        using var adapters = lora ? AttachLora(model) : null;
        using var objective = new SupervisedObjective(model, sequences, loss, packing);
        var (lossSum, _) = objective.Run(micro, normalizer, step: 1);
        return (lossSum, Gradients(model, adapters));
    }

    private static (double Loss, float[] Reference, IReadOnlyDictionary<string, double> Metrics, Dictionary<string, float[]> Gradients) RunPreference(
        List<(TrainingSequence, TrainingSequence)> pairs, int[] micro, LossImplementation loss, bool lora, BatchLayout layout,
        Func<LlamaForCausalLM>? createModel = null)
    {
        using var model = (createModel ?? (() => TrainingFixtures.Model()))();
        using var adapters = lora ? AttachLora(model) : null;
        var options = TrainingFixtures.PreferenceOptions(o =>
        {
            o.Loss = loss;
            o.BatchLayout = layout;
            o.MaxSequenceLength = 24; // rows of 24 tokens: the eight sequences need several rows
            o.MicroBatchSize = 4;
            o.DpoBeta = 0.5;
            o.DpoNllWeight = 0.3;
            o.DpoReference = lora ? DpoReference.AdaptersDisabled : DpoReference.FrozenCopy;
        });
        if (!lora)
        {
            // A reference that differs from the policy, so the DPO logits are not all zero.
            using var noGrad = no_grad();
            foreach (var parameter in model.Parameters())
            {
                parameter.mul_(1.1);
            }
        }
        var reference = ReferenceLogProbs.Create(model, adapters, pairs, options, outputDirectory: null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var (chosen, rejected) = reference.Get(micro);
        using var objective = new PreferenceObjective(model, pairs, reference, options);
        var (lossSum, metrics) = objective.Run(micro, normalizer: micro.Length, step: 1);
        return (lossSum / micro.Length, [.. chosen, .. rejected], metrics, Gradients(model, adapters));
    }

    private static LoraAdapters AttachLora(LlamaForCausalLM model)
    {
        var adapters = LoraAdapters.Attach(model, new LoraOptions { Rank = 4, Dropout = 0 }, seed: 3);
        using var noGrad = no_grad();
        foreach (var (_, parameter) in adapters.NamedParameters())
        {
            using var noise = randn(parameter.shape, generator: new Generator(5)).mul_(0.05);
            parameter.copy_(noise); // B starts at zero; non-zero B makes A's gradient non-zero too
        }
        return adapters;
    }

    private static Dictionary<string, float[]> Gradients(LlamaForCausalLM model, LoraAdapters? adapters)
    {
        var parameters = adapters is not null ? adapters.NamedParameters() : model.NamedParameters();
        var gradients = parameters.Where(p => p.Parameter.grad is not null).ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter.grad!));
        Assert.NotEmpty(gradients);
        return gradients;
    }

    private static void AssertGradientsEqual(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Contains(expected.Values, g => g.Any(v => Math.Abs(v) > 1e-4)); // the comparison is not vacuous
        foreach (var (name, gradient) in expected)
        {
            double worst = gradient.Zip(actual[name], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= Tolerance, $"{name}: max |Δgrad| {worst:E2}");
        }
    }

    private static float TinyMaxAbs(Tensor a, Tensor b)
    {
        using var difference = (a - b).abs().max();
        return difference.item<float>();
    }

    private static List<TrainingSequence> Sequences(params int[] lengths) =>
        [.. lengths.Select((length, i) => Sequence($"s{i}", length, seed: i))];

    private static TrainingSequence Sequence(string id, int length, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, length).Select(_ => random.Next(0, TrainingFixtures.VocabularySize)).ToArray();
        // The first third is an unmasked prompt; the rest carries loss.
        var mask = Enumerable.Range(0, length).Select(i => i >= Math.Max(1, length / 3)).ToArray();
        return new TrainingSequence(id, ids, mask);
    }
}
