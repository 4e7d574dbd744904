using Srt.TorchSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class ScheduleAndDecayTests
{
    [Fact]
    public void ConstantWithWarmup_TenPercentOfTwenty_RampsOverTwoStepsThenHoldsOne()
    {
        var schedule = new ConstantWithWarmupSchedule(totalSteps: 20, warmupRatio: 0.1);

        Assert.Equal(2, schedule.WarmupSteps);
        Assert.Equal([0.0, 0.5, 1.0, 1.0, 1.0], Enumerable.Range(0, 5).Select(schedule.Factor));
        Assert.Equal(1.0, schedule.Factor(19));
    }

    [Fact]
    public void ConstantWithWarmup_NoWarmup_IsOneFromTheFirstStep()
    {
        var schedule = new ConstantWithWarmupSchedule(totalSteps: 7, warmupRatio: 0);

        Assert.All(Enumerable.Range(0, 7), step => Assert.Equal(1.0, schedule.Factor(step)));
    }

    [Fact]
    public void LearningRateSchedules_Option_SelectsTheSchedule()
    {
        var cosine = LearningRateSchedules.Create(new SupervisedTrainerOptions(), 10);
        var constant = LearningRateSchedules.Create(new SupervisedTrainerOptions { LearningRateSchedule = LearningRateSchedule.ConstantWithWarmup }, 10);

        Assert.IsType<CosineWithWarmupSchedule>(cosine);
        Assert.IsType<ConstantWithWarmupSchedule>(constant);
    }

    [Fact]
    public async Task TrainSupervised_ConstantWithWarmup_ReportsPeakRateAfterWarmup()
    {
        using var model = TrainingFixtures.Model();
        var options = TrainingFixtures.Options(o =>
        {
            o.Epochs = 2;
            o.WarmupRatio = 0.25; // 4 steps: 1 of warm-up
            o.LearningRate = 1e-3;
            o.LearningRateSchedule = LearningRateSchedule.ConstantWithWarmup;
        });
        var rates = new List<double>();

        await TrainingFixtures.Trainer(model, options).TrainSupervisedAsync(
            new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => rates.Add(p.LearningRate)));

        Assert.Equal([0.0, 1e-3, 1e-3, 1e-3], rates);
    }

    [Fact]
    public void WeightDecayRules_DefaultOptions_DecayMatricesButNotBiasesOrNormWeights()
    {
        var config = TrainingFixtures.Config() with { AttentionBias = true }; // q/k/v/o biases
        using var model = Srt.TorchSharp.Modeling.LlamaForCausalLM.Create(config);
        using var adam = new MixedPrecisionAdamW(model.NamedParameters(), new SupervisedTrainerOptions { WeightDecay = 0.1 });

        var decayed = adam.DecayedParameterNames.ToHashSet();

        Assert.Contains("model.layers.0.self_attn.q_proj.weight", decayed);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", decayed);
        Assert.Contains("model.embed_tokens.weight", decayed);
        Assert.Contains("lm_head.weight", decayed);
        Assert.DoesNotContain("model.layers.0.self_attn.q_proj.bias", decayed);
        Assert.DoesNotContain("model.layers.0.input_layernorm.weight", decayed);
        Assert.DoesNotContain("model.layers.1.post_attention_layernorm.weight", decayed);
        Assert.DoesNotContain("model.norm.weight", decayed);
        var expected = model.NamedParameters().Select(p => p.Name)
            .Where(n => !n.EndsWith(".bias", StringComparison.Ordinal) && !n.EndsWith("norm.weight", StringComparison.Ordinal));
        Assert.Equal(expected.Order(), decayed.Order());
    }

    [Theory]
    [InlineData("model.layers.3.self_attn.q_norm.weight", false)]
    [InlineData("model.layers.3.self_attn.k_norm.weight", false)]
    [InlineData("model.layers.3.pre_feedforward_layernorm.weight", false)]
    [InlineData("transformer.ln_f.weight", false)]
    [InlineData("model.layers.3.mlp.gate_proj.weight", true)]
    [InlineData("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", true)]
    public void WeightDecayRules_Names_FollowHuggingFaceTrainer(string name, bool decays)
    {
        Assert.Equal(decays, WeightDecayRules.Decays(name, excludeBiasAndNorm: true));
        Assert.True(WeightDecayRules.Decays(name, excludeBiasAndNorm: false));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdamW_ZeroGradient_DecaysTheWeightAndTheBiasOnlyWhenAsked(bool excludeBiasAndNorm)
    {
        using var weight = new Parameter(ones(3));
        using var bias = new Parameter(ones(3));
        var options = new SupervisedTrainerOptions { WeightDecay = 0.5, WeightDecayExcludesBiasAndNorm = excludeBiasAndNorm };
        using var adam = new MixedPrecisionAdamW([("layer.weight", weight), ("layer.bias", bias)], options);
        (weight.sum() * 0 + bias.sum() * 0).backward(); // gradients exist and are zero: only decay moves a value

        adam.Step(learningRate: 0.1, gradientScale: 1.0);

        Assert.Equal(0.95f, weight[0].item<float>(), 6);
        Assert.Equal(excludeBiasAndNorm ? 1f : 0.95f, bias[0].item<float>(), 6);
    }
}
