using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

/// <summary>SFT, DPO and LoRA steps on Gemma 2 / Gemma 3 text models (soft-capped logits, sliding windows).</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class GemmaTrainingTests
{
    private static LlamaForCausalLM Model(string variant) => LlamaForCausalLM.Create(
        TinyGemma.Config(variant, TrainingFixtures.VocabularySize) with { EosTokenIds = [TrainingFixtures.ImEnd] },
        seed: 11, initializerRange: 0.05);

    [Theory]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    public async Task TrainSupervised_Gemma_LossFallsEveryParameterMovesAndSaveLoadIsBitwise(string variant)
    {
        using var model = Model(variant);
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.LearningRate = 1e-2; o.Epochs = 3; }));
        var losses = new List<double>();
        await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");
        Assert.All(model.NamedParameters(), p => Assert.NotEqual(before[p.Name], TrainingFixtures.Flat(p.Parameter)));

        using var folder = new TemporaryFolder();
        model.SavePretrained(folder.Path);
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path);
        var trained = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        Assert.All(loaded.NamedParameters(), p => Assert.Equal(trained[p.Name], TrainingFixtures.Flat(p.Parameter)));
    }

    [Fact]
    public async Task TrainPreference_Gemma2_FirstLossIsLog2AndMarginRises()
    {
        using var model = Model("gemma2");
        var trainer = TrainingFixtures.Trainer(model, preference: TrainingFixtures.PreferenceOptions(o => { o.DpoBeta = 0.1; o.Epochs = 3; }));
        var steps = new List<TrainingProgress>();
        await trainer.TrainPreferenceAsync(new PreferenceTrainingRequest(TrainingFixtures.RepeatPairs()), new SyncProgress(steps.Add));
        Assert.Equal(Math.Log(2), steps[0].Loss, 5); // policy = reference at step 1
        Assert.True(steps[^1].Metrics["rewards/margins"] > 0, $"final margin {steps[^1].Metrics["rewards/margins"]}");
    }

    [Fact]
    public async Task TrainSupervised_Gemma3WithLora_BaseStaysBitIdenticalAndAdaptersLearn()
    {
        using var model = Model("gemma3");
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.Lora = new LoraOptions(); o.LearningRate = 1e-2; o.Epochs = 2; }));
        var losses = new List<double>();
        await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));
        Assert.All(model.NamedParameters(), p => Assert.Equal(before[p.Name], TrainingFixtures.Flat(p.Parameter)));
        Assert.Equal(4 * 7, trainer.Adapters!.Count);
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");
    }

    [Theory]
    [InlineData(LossImplementation.Fused)]
    [InlineData(LossImplementation.Plain)]
    public void TrainingLoss_SoftcappedModel_EqualsCrossEntropyOfItsLogits(LossImplementation implementation)
    {
        using var model = TinyGemma.Create(TinyGemma.Config("gemma2"));
        using var noGrad = no_grad();
        using var ids = TinyLlama.Ids([5, 17, 3, 96, 40, 8, 22, 61, 0, 13]);
        using var inputs = ids[.., ..^1];
        using var targets = ids[.., 1..];
        using var logits = model.Forward(inputs);
        using var expected = nn.functional.cross_entropy(logits.reshape(-1, model.Config.VocabSize), targets.reshape(-1));
        using var hidden = model.ForwardHidden(inputs);
        var options = new LanguageModelLossOptions { Implementation = implementation };
        var capped = LanguageModelLoss.CrossEntropy(hidden, model.LmHeadWeight, targets, null, options.WithLogitSoftcapping(model.Config.FinalLogitSoftcapping));
        var uncapped = LanguageModelLoss.CrossEntropy(hidden, model.LmHeadWeight, targets, null, options);
        Assert.Equal(expected.item<float>(), capped.Loss.item<float>(), 5);
        Assert.True(Math.Abs(expected.item<float>() - uncapped.Loss.item<float>()) > 1e-2, "the cap must matter for this model");
        using var sequence = LanguageModelLoss.SequenceLogProbs(hidden, model.LmHeadWeight, targets, null, options.WithLogitSoftcapping(model.Config.FinalLogitSoftcapping));
        Assert.Equal(-9 * expected.item<float>(), sequence.item<float>(), 4);
    }
}
