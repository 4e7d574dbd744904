using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class TrainingComponentTests
{
    [Fact]
    public void CosineSchedule_WarmupThenDecay_MatchesHuggingFaceFormula()
    {
        var schedule = new CosineWithWarmupSchedule(totalSteps: 20, warmupRatio: 0.1);

        Assert.Equal(2, schedule.WarmupSteps);
        Assert.Equal(0, schedule.Factor(0));
        Assert.Equal(0.5, schedule.Factor(1));
        Assert.Equal(1, schedule.Factor(2));
        Assert.Equal(0.5, schedule.Factor(11), 12); // halfway through the decay
        Assert.Equal(0, schedule.Factor(20), 12);
        for (int step = 3; step < 20; step++)
        {
            Assert.True(schedule.Factor(step) < schedule.Factor(step - 1));
        }
    }

    [Fact]
    public void LengthBuckets_Epoch_CoversAllOnceSortedWithinBatchAndDeterministic()
    {
        var lengths = Enumerable.Range(0, 103).Select(i => (i * 37) % 91 + 5).ToArray();

        var epoch0 = LengthBucketedBatches.ForEpoch(lengths, 8, 4, seed: 1, epoch: 0);
        var again = LengthBucketedBatches.ForEpoch(lengths, 8, 4, seed: 1, epoch: 0);
        var epoch1 = LengthBucketedBatches.ForEpoch(lengths, 8, 4, seed: 1, epoch: 1);

        Assert.Equal(13, epoch0.Count);
        Assert.Equal(Enumerable.Range(0, 103), epoch0.SelectMany(b => b).Order());
        Assert.Equal(epoch0, again);
        Assert.NotEqual(epoch0.SelectMany(b => b), epoch1.SelectMany(b => b));
        Assert.All(epoch0, batch => Assert.Equal(batch.Select(i => lengths[i]).OrderDescending(), batch.Select(i => lengths[i])));
        // Bucketing keeps batches tighter than random batches would be.
        double spread = epoch0.Where(b => b.Length == 8).Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        Assert.True(spread < 40, $"mean spread {spread}");
    }

    [Fact]
    public void AdamW_Float32_MatchesTorchOptimAdamW()
    {
        using var ours = new global::TorchSharp.Modules.Parameter(torch.randn(5, 3));
        using var theirs = new global::TorchSharp.Modules.Parameter(ours.detach().clone());
        var options = new SupervisedTrainerOptions { WeightDecay = 0.1, AdamBeta1 = 0.8, AdamBeta2 = 0.99 };
        using var adam = new MixedPrecisionAdamW([("w", ours)], options);
        using var reference = torch.optim.AdamW([theirs], lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-8, weight_decay: 0.1);
        for (int step = 0; step < 4; step++)
        {
            using var target = torch.randn(5, 3, generator: new Generator((ulong)step));
            ours.grad?.zero_();
            theirs.grad?.zero_();
            (ours * target).square().sum().backward();
            (theirs * target).square().sum().backward();
            adam.CollectGradients();
            adam.Step(0.01, 1.0);
            reference.step();
        }

        Assert.Equal(TrainingFixtures.Flat(theirs), TrainingFixtures.Flat(ours), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void AdamW_BFloat16_KeepsFloat32MasterAndRoundsIntoTheParameter()
    {
        using var model = TrainingFixtures.Model(ScalarType.BFloat16);
        var parameters = model.NamedParameters().ToList();
        using var adam = new MixedPrecisionAdamW(parameters, new SupervisedTrainerOptions());
        using var objective = new SupervisedObjective(model, [new TrainingSequence("s", [97, 3, 4, 5, 6], [false, true, true, true, true])], LossImplementation.Fused);
        for (int i = 0; i < 3; i++)
        {
            objective.Run([0], 4, i + 1);
            adam.CollectGradients();
            adam.Step(1e-4, 1.0); // far below bf16's resolution per step: only a float32 master accumulates it
        }
        using var folder = new Modeling.TemporaryFolder();
        adam.Save(folder.File("opt.safetensors"));
        using var reader = global::Srt.TorchSharp.Loading.SafetensorsReader.Open(folder.File("opt.safetensors"));
        var (name, parameter) = parameters.First(p => p.Name.EndsWith("q_proj.weight", StringComparison.Ordinal));
        using var master = reader.ReadTensor(name + ".master");

        Assert.Equal(ScalarType.Float32, master.dtype);
        using var rounded = master.to(ScalarType.BFloat16);
        Assert.Equal(TrainingFixtures.Flat(rounded), TrainingFixtures.Flat(parameter));
        Assert.Equal(3, int.Parse(reader.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TrainingSteps_InLoop_KeepLiveTensorCountFlat()
    {
        using var model = TrainingFixtures.Model();
        var rows = new[]
        {
            new TrainingSequence("a", [97, 3, 4, 5, 6, 7], [false, false, true, true, true, true]),
            new TrainingSequence("b", [97, 8, 9, 10], [false, true, true, true]),
        };
        using var adam = new MixedPrecisionAdamW(model.NamedParameters(), new SupervisedTrainerOptions());
        using var supervised = new SupervisedObjective(model, rows, LossImplementation.Fused);
        using var preference = new PreferenceObjective(model, [(rows[0], rows[1])],
            ReferenceLogProbs.Create(model, null, [(rows[0], rows[1])], new PreferenceTrainerOptions(), null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance),
            new PreferenceTrainerOptions());
        void Step()
        {
            supervised.Run([0, 1], 7, 1);
            preference.Run([0], 1, 1);
            adam.CollectGradients();
            adam.GradientNorm();
            adam.Step(1e-3, 0.5);
        }
        Step();
        Step();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            Step();
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
