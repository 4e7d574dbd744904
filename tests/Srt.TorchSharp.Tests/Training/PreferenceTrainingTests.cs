using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class PreferenceTrainingTests
{
    private static PreferenceTrainerOptions DpoOptions(Action<PreferenceTrainerOptions>? configure = null) => TrainingFixtures.PreferenceOptions(o =>
    {
        o.DpoBeta = 0.1;
        o.LearningRate = 3e-3;
        configure?.Invoke(o);
    });

    private static async Task<List<TrainingProgress>> TrainAsync(PreferenceTrainerOptions options, string? outputDirectory = null)
    {
        using var model = TrainingFixtures.Model();
        var trainer = TrainingFixtures.Trainer(model, preference: options);
        var steps = new List<TrainingProgress>();
        await trainer.TrainPreferenceAsync(
            new PreferenceTrainingRequest(TrainingFixtures.RepeatPairs()) { OutputDirectory = outputDirectory }, new SyncProgress(steps.Add));
        return steps;
    }

    [Fact]
    public async Task TrainPreference_SyntheticPairs_MarginAndAccuracyRise()
    {
        using var folder = new TemporaryFolder();

        var steps = await TrainAsync(DpoOptions(), folder.Path);

        Assert.Equal(8, steps.Count);
        Assert.Equal(Math.Log(2), steps[0].Loss, 5);            // policy = reference at step 1
        Assert.Equal(0, steps[0].Metrics["rewards/margins"], 5);
        Assert.Equal(0, steps[0].Metrics["rewards/accuracies"]);
        Assert.True(steps[^1].Metrics["rewards/margins"] > 0.5, $"final margin {steps[^1].Metrics["rewards/margins"]}");
        Assert.Equal(1, steps[^1].Metrics["rewards/accuracies"]);
        Assert.True(steps[^1].Loss < 0.5 * steps[0].Loss);
        Assert.True(steps[^1].Metrics["rewards/chosen"] > steps[^1].Metrics["rewards/rejected"]);
        Assert.Equal(8, File.ReadLines(folder.File(ReferenceLogProbs.CacheFileName)).Count());
        Assert.Equal(8, File.ReadLines(folder.File(MetricsLog.FileName)).Count());
    }

    [Fact]
    public async Task TrainPreference_NllWeight_AddsWeightedChosenNllAndKeepsChosenLikely()
    {
        var plain = await TrainAsync(DpoOptions());
        var withNll = await TrainAsync(DpoOptions(o => o.DpoNllWeight = 2.0));

        // Step 1 (policy = reference): DPO is ln 2 and the NLL is the chosen answers' mean token NLL; both runs agree on it.
        double nll = withNll[0].Metrics["nll_loss"];
        Assert.True(nll > 0.5, $"nll {nll}");
        Assert.Equal(plain[0].Metrics["nll_loss"], nll, 6);
        Assert.Equal(Math.Log(2) + 2.0 * nll, withNll[0].Loss, 5);
        Assert.Equal(Math.Log(2), plain[0].Loss, 5);
        // "ab ab<|im_end|>" is 4 tokens or more: the NLL is per token, not per sequence.
        Assert.True(nll < -withNll[0].Metrics["logps/chosen"] / 3, $"nll {nll}, logps/chosen {withNll[0].Metrics["logps/chosen"]}");
        // With the NLL term the chosen answers end more likely than with DPO alone.
        Assert.True(withNll[^1].Metrics["logps/chosen"] > plain[^1].Metrics["logps/chosen"],
            $"logps/chosen with NLL {withNll[^1].Metrics["logps/chosen"]}, without {plain[^1].Metrics["logps/chosen"]}");
        Assert.True(withNll[^1].Metrics["rewards/margins"] > 0);
    }

    [Fact]
    public void Options_NegativeNllWeight_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(new PreferenceTrainerOptions { DpoNllWeight = -1 }.Validate);
        Assert.Contains("PreferenceTrainerOptions.DpoNllWeight", error.Message);
        Assert.Equal("DpoNllWeight", error.ParamName);
    }

    [Fact]
    public async Task TrainPreference_FrozenCopyReference_MatchesPrecomputed()
    {
        var precomputed = await TrainAsync(DpoOptions(o => o.Epochs = 1));
        var frozen = await TrainAsync(DpoOptions(o => { o.Epochs = 1; o.DpoReference = DpoReference.FrozenCopy; }));

        Assert.Equal(precomputed.Select(s => s.Loss), frozen.Select(s => s.Loss), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public async Task TrainPreference_LoraAdaptersDisabledReference_MatchesPrecomputed()
    {
        var lora = new LoraOptions { Dropout = 0 };
        var precomputed = await TrainAsync(DpoOptions(o => { o.Epochs = 1; o.Lora = lora; }));
        var disabled = await TrainAsync(DpoOptions(o => { o.Epochs = 1; o.Lora = lora; o.DpoReference = DpoReference.AdaptersDisabled; }));

        Assert.Equal(precomputed.Select(s => s.Loss), disabled.Select(s => s.Loss), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.True(disabled[^1].Metrics["rewards/margins"] > 0);
    }

    [Fact]
    public void Options_AdaptersDisabledWithoutLora_IsRejected()
    {
        var options = new PreferenceTrainerOptions();
        options.DpoReference = DpoReference.AdaptersDisabled;

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("PreferenceTrainerOptions.DpoReference", error.Message);
    }
}
