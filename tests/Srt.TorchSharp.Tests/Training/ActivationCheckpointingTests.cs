using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Modeling.Modules;
using Srt.TorchSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class ActivationCheckpointingTests
{
    private static readonly TrainingSequence[] Rows =
    [
        new("a", [97, 3, 4, 5, 6, 7, 8, 9, 10, 11], [false, false, true, true, true, true, true, true, true, true]),
        new("b", [97, 12, 13, 14, 15], [false, false, true, true, true]),
        new("c", [97, 20, 21, 22, 23, 24, 25], [false, true, true, true, false, true, true]),
        new("d", [97, 30, 31, 32], [false, false, true, true]),
    ];

    [Theory]
    [InlineData(LossImplementation.Fused)]
    [InlineData(LossImplementation.Plain)]
    public void SupervisedStep_WithGradientAccumulation_CheckpointedGradientsEqualPlain(LossImplementation loss)
    {
        using var model = TrainingFixtures.Model();
        using var objective = new SupervisedObjective(model, Rows, loss);
        double normalizer = objective.Normalizer([0, 1, 2, 3]);
        void Step()
        {
            // Two micro-batches accumulate into one global batch, as the session runs them.
            objective.Run([0, 1], normalizer, 1);
            objective.Run([2, 3], normalizer, 1);
        }

        var (plain, checkpointed, recomputed) = GradientsBothWays(model, model.NamedParameters(), Step);

        Assert.Equal(2 * model.Config.NumHiddenLayers, recomputed);
        Assert.Equal(model.NamedParameters().Count(), plain.Count);
        AssertClose(plain, checkpointed, 1e-6);
    }

    [Fact]
    public void LoraStep_WithAdapterDropout_CheckpointedGradientsEqualPlain()
    {
        using var model = TrainingFixtures.Model();
        using var adapters = LoraAdapters.Attach(model, new LoraOptions { Rank = 4, Dropout = 0.3 }, seed: 5);
        adapters.IsTraining = true;
        RandomizeB(adapters);
        using var objective = new SupervisedObjective(model, Rows, LossImplementation.Fused);

        // Dropout draws from the generator: each pass starts from the same seed, and the recomputation must replay it.
        var (plain, checkpointed, recomputed) = GradientsBothWays(model, adapters.NamedParameters(), () =>
        {
            manual_seed(123);
            objective.Run([0, 1, 2], 30, 1);
        });

        Assert.Equal(model.Config.NumHiddenLayers, recomputed);
        Assert.Equal(2 * 7 * model.Config.NumHiddenLayers, plain.Count);
        Assert.All(model.Parameters(), p => Assert.Null(p.grad)); // the frozen base gets no gradient either way
        AssertClose(plain, checkpointed, 1e-6);
    }

    [Fact]
    public void DpoStep_LoraWithAdaptersDisabledReference_CheckpointedGradientsAndMetricsEqualPlain()
    {
        using var model = TrainingFixtures.Model();
        using var adapters = LoraAdapters.Attach(model, new LoraOptions { Rank = 4, Dropout = 0 }, seed: 5);
        RandomizeB(adapters);
        var options = new PreferenceTrainerOptions { DpoReference = DpoReference.AdaptersDisabled, Lora = new LoraOptions(), DpoBeta = 0.5, DpoNllWeight = 0.3 };
        var pairs = new[] { (Rows[0], Rows[1]), (Rows[2], Rows[3]) };
        using var objective = new PreferenceObjective(model, pairs,
            ReferenceLogProbs.Create(model, adapters, pairs, options, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), options);
        var metrics = new List<IReadOnlyDictionary<string, double>>();

        var (plain, checkpointed, recomputed) = GradientsBothWays(model, adapters.NamedParameters(), () => metrics.Add(objective.Run([0, 1], 2, 1).MetricSums));

        // The reference pass (same model, adapters off, no gradients) runs uncheckpointed: only the policy pass recomputes.
        Assert.Equal(model.Config.NumHiddenLayers, recomputed);
        AssertClose(plain, checkpointed, 1e-6);
        Assert.NotEqual(0, metrics[0]["rewards/margins"]);
        foreach (var (key, value) in metrics[0])
        {
            Assert.Equal(value, metrics[1][key], 5);
        }
    }

    [Fact]
    public void DpoStep_FullFineTuning_CheckpointedGradientsEqualPlain()
    {
        using var model = TrainingFixtures.Model();
        var options = new PreferenceTrainerOptions { DpoReference = DpoReference.FrozenCopy, DpoBeta = 0.5 };
        var pairs = new[] { (Rows[0], Rows[1]), (Rows[2], Rows[3]) };
        using var objective = new PreferenceObjective(model, pairs,
            ReferenceLogProbs.Create(model, null, pairs, options, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), options);
        using (no_grad())
        {
            model.LmHeadWeight.mul_(1.5); // policy ≠ reference, so the DPO gradient is not the symmetric start
        }

        var (plain, checkpointed, _) = GradientsBothWays(model, model.NamedParameters(), () => objective.Run([0], 2, 1));

        AssertClose(plain, checkpointed, 1e-6);
    }

    [Fact]
    public void SupervisedStep_BFloat16_CheckpointedGradientsEqualPlain()
    {
        using var model = TrainingFixtures.Model(ScalarType.BFloat16);
        using var objective = new SupervisedObjective(model, Rows, LossImplementation.Fused);

        var (plain, checkpointed, _) = GradientsBothWays(model, model.NamedParameters(), () => objective.Run([0, 1], 14, 1));

        // Recomputation repeats the same bf16 kernels on the same inputs: the gradients agree to float rounding.
        AssertClose(plain, checkpointed, 1e-6);
    }

    [Fact]
    public void TrainingSteps_Checkpointed_KeepLiveTensorCountFlat()
    {
        using var model = TrainingFixtures.Model();
        using var adapters = LoraAdapters.Attach(model, new LoraOptions { Rank = 4 }, seed: 5);
        adapters.IsTraining = true;
        model.Module.Decoder.CheckpointLayers = true;
        var options = new PreferenceTrainerOptions { DpoReference = DpoReference.AdaptersDisabled, Lora = new LoraOptions() };
        using var adam = new MixedPrecisionAdamW(adapters.NamedParameters(), options);
        using var supervised = new SupervisedObjective(model, Rows, LossImplementation.Fused);
        var pairs = new[] { (Rows[0], Rows[1]) };
        using var preference = new PreferenceObjective(model, pairs,
            ReferenceLogProbs.Create(model, adapters, pairs, options, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), options);
        void Step()
        {
            supervised.Run([0, 1], 14, 1);
            supervised.Run([2], 14, 1);
            preference.Run([0], 1, 1);
            adam.CollectGradients();
            adam.GradientNorm();
            adam.Step(1e-3, 0.5);
        }
        Step();
        Step();
        long recomputedBefore = ActivationCheckpointFunction.Recomputations;
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            Step();
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Equal(5 * 3 * model.Config.NumHiddenLayers, ActivationCheckpointFunction.Recomputations - recomputedBefore);
    }

    [Fact]
    public async Task Trainer_CheckpointingOnAndOff_GiveTheSameLossesAndLeaveItOff()
    {
        async Task<(List<double> Losses, bool LeftOn)> TrainAsync(bool checkpointing)
        {
            using var model = TrainingFixtures.Model();
            var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.Epochs = 2; o.GradientCheckpointing = checkpointing; }));
            var losses = new List<double>();
            await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));
            return (losses, model.Module.Decoder.CheckpointLayers);
        }

        long recomputedBefore = ActivationCheckpointFunction.Recomputations;
        var (checkpointed, leftOn) = await TrainAsync(true);
        long recomputed = ActivationCheckpointFunction.Recomputations - recomputedBefore;
        var (plain, _) = await TrainAsync(false);

        Assert.True(new SupervisedTrainerOptions().GradientCheckpointing);
        Assert.False(leftOn);
        Assert.True(recomputed > 0);
        Assert.Equal(4, checkpointed.Count);
        for (int i = 0; i < plain.Count; i++)
        {
            Assert.Equal(plain[i], checkpointed[i], 5);
        }
    }

    [Fact]
    public void Run_BlockWithNullSharedTensor_RecomputesOnceAndMatchesThePlainGradients()
    {
        using var scope = NewDisposeScope();
        using var weight = new Parameter(randn(4, 4));
        var scale = full(4, 0.5f);
        int calls = 0;
        Tensor Block(Tensor x, IReadOnlyList<Tensor?> shared)
        {
            calls++;
            Assert.Null(shared[1]);
            return tanh(x.matmul(weight)).mul(shared[0]!).add(shared[2]!);
        }
        var offset = ones(4);
        var input = randn(3, 4).requires_grad_(true);

        Block(input, [scale, null, offset]).square().sum().backward();
        var plainInput = input.grad!.clone();
        var plainWeight = weight.grad!.clone();
        input.grad!.zero_();
        weight.grad!.zero_();
        calls = 0;
        Tensor output;
        using (var inner = NewDisposeScope())
        {
            output = ActivationCheckpoint.Run(input, [scale.alias(), null, offset.alias()], Block).MoveToOuterDisposeScope();
        } // the caller's copies of the shared tensors are gone before backward, as in the decoder
        Assert.Equal(1, calls);
        output.square().sum().backward();

        Assert.Equal(2, calls);
        Assert.Equal(0f, TrainingFixtures.Flat(input.grad!).Zip(TrainingFixtures.Flat(plainInput), (a, b) => Math.Abs(a - b)).Max());
        Assert.Equal(0f, TrainingFixtures.Flat(weight.grad!).Zip(TrainingFixtures.Flat(plainWeight), (a, b) => Math.Abs(a - b)).Max());
    }

    [Fact]
    public void AttentionContext_WithTensors_CoversEveryTensorProperty()
    {
        using var scope = NewDisposeScope();
        var context = new AttentionContext(ones(2), ones(2), ones(2), false, null);
        var replacements = context.Tensors.Select(_ => (Tensor?)zeros(1)).ToArray();
        var replaced = context.WithTensors(replacements);

        // A tensor field added to the record and missed by Tensors/WithTensors would be read after its disposal in a
        // checkpointed backward pass.
        var tensorProperties = typeof(AttentionContext).GetProperties()
            .Where(p => p.PropertyType == typeof(Tensor) && p.GetIndexParameters().Length == 0).ToList();
        Assert.Equal(tensorProperties.Count, context.Tensors.Count);
        Assert.All(tensorProperties, p => Assert.Contains(replacements, r => ReferenceEquals(r, p.GetValue(replaced))));
    }

    private static (Dictionary<string, float[]> Plain, Dictionary<string, float[]> Checkpointed, long Recomputed) GradientsBothWays(
        LlamaForCausalLM model, IEnumerable<(string Name, Parameter Parameter)> parameters, Action step)
    {
        var list = parameters.ToList();
        Dictionary<string, float[]> Run(bool checkpoint)
        {
            foreach (var (_, parameter) in list)
            {
                using var grad = parameter.grad;
                grad?.zero_();
            }
            model.Module.Decoder.CheckpointLayers = checkpoint;
            try
            {
                step();
            }
            finally
            {
                model.Module.Decoder.CheckpointLayers = false;
            }
            return list.Where(p => p.Parameter.grad is not null).ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter.grad!));
        }

        var plain = Run(false);
        long before = ActivationCheckpointFunction.Recomputations;
        var checkpointed = Run(true);
        return (plain, checkpointed, ActivationCheckpointFunction.Recomputations - before);
    }

    // Relative to each tensor's largest gradient, so near-zero entries do not dominate.
    private static void AssertClose(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, double tolerance)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Contains(expected.Values, g => g.Any(v => v != 0));
        foreach (var (name, values) in expected)
        {
            double scale = Math.Max(values.Max(v => Math.Abs((double)v)), 1e-30);
            double worst = values.Zip(actual[name], (a, b) => Math.Abs((double)a - b)).Max();
            Assert.True(worst <= tolerance * scale, $"{name}: max difference {worst:E3} vs largest gradient {scale:E3}");
        }
    }

    private static void RandomizeB(LoraAdapters adapters)
    {
        using var noGrad = no_grad();
        foreach (var (_, parameter) in adapters.NamedParameters().Where(p => p.Name.Contains("lora_B")))
        {
            parameter.normal_(0, 0.2); // B = 0 would give A no gradient
        }
    }
}
