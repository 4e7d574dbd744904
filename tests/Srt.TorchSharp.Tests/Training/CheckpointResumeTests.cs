using System.Security.Cryptography;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class CheckpointResumeTests
{
    public static TheoryData<string> Variants => ["float32", "bfloat16", "lora"];

    private static SupervisedTrainerOptions Options(string variant) => TrainingFixtures.Options(o =>
    {
        o.Epochs = 3;
        o.SaveSteps = 2;
        o.Lora = variant == "lora" ? new LoraOptions { Dropout = 0.1 } : null;
    });

    private static ScalarType DType(string variant) => variant == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Resume_AfterCancelAtStepThree_GivesTheUninterruptedLosses(string variant)
    {
        using var straight = new TemporaryFolder();
        using var interrupted = new TemporaryFolder();
        var request = new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples());

        using var modelA = TrainingFixtures.Model(DType(variant));
        var resultA = await TrainingFixtures.Trainer(modelA, Options(variant)).TrainSupervisedAsync(request with { OutputDirectory = straight.Path });

        using (var modelB = TrainingFixtures.Model(DType(variant)))
        {
            using var cancel = new CancellationTokenSource();
            var trainer = TrainingFixtures.Trainer(modelB, Options(variant));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trainer.TrainSupervisedAsync(
                request with { OutputDirectory = interrupted.Path }, new SyncProgress(p => { if (p.Step == 3) cancel.Cancel(); }), cancel.Token));
        }
        Assert.True(Directory.Exists(Path.Combine(interrupted.Path, "checkpoint-3")));
        using var modelC = TrainingFixtures.Model(DType(variant));
        var trainerC = TrainingFixtures.Trainer(modelC, Options(variant));
        var resumedSteps = new List<int>();
        var resultC = await trainerC.TrainSupervisedAsync(request with { OutputDirectory = interrupted.Path }, new SyncProgress(p => resumedSteps.Add(p.Step)));

        Assert.Equal([4, 5, 6], resumedSteps);
        var lossesA = MetricsLog.ReadLosses(Path.Combine(straight.Path, MetricsLog.FileName));
        var lossesC = MetricsLog.ReadLosses(Path.Combine(interrupted.Path, MetricsLog.FileName));
        Assert.Equal(Enumerable.Range(1, 6), lossesC.Select(l => l.Step));
        Assert.Equal(lossesA.Select(l => l.Loss), lossesC.Select(l => l.Loss), (a, b) => Math.Abs(a - b) <= 1e-6);
        Assert.Equal(resultA.FinalLoss, resultC.FinalLoss, 1e-6);
        Assert.Equal(resultA.TrainedTokens, resultC.TrainedTokens);
        foreach (var (name, parameter) in modelA.NamedParameters())
        {
            var other = modelC.NamedParameters().Single(p => p.Name == name).Parameter;
            Assert.True(TinyLlama.MaxAbsDifference(parameter, other) <= 1e-6, name);
        }
        // Checkpoints 4 and 6 remain (SaveTotalLimit 2); the final one is a loadable model or adapter folder.
        var kept = Directory.GetDirectories(interrupted.Path, "checkpoint-*").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["checkpoint-4", "checkpoint-6"], kept);
        Assert.Equal(Path.Combine(interrupted.Path, "checkpoint-6"), resultC.CheckpointDirectory);
        Assert.True(File.Exists(Path.Combine(resultC.CheckpointDirectory!, variant == "lora" ? LoraAdapters.WeightsFileName : "model.safetensors")));
        Assert.Empty(Directory.GetDirectories(interrupted.Path, ".checkpoint-*"));
    }

    [Fact]
    public async Task NonFiniteLoss_StopsWithStepAndLeavesLastCheckpointIntact()
    {
        using var folder = new TemporaryFolder();
        using var model = TrainingFixtures.Model();
        var trainer = TrainingFixtures.Trainer(model, Options("float32"));
        Dictionary<string, string>? hashes = null;
        void Poison(TrainingProgress progress)
        {
            if (progress.Step != 3)
            {
                return;
            }
            hashes = HashFiles(Path.Combine(folder.Path, "checkpoint-2"));
            using var noGrad = no_grad();
            model.EmbeddingWeight.fill_(float.NaN);
        }

        var error = await Assert.ThrowsAsync<NonFiniteTrainingException>(() => trainer.TrainSupervisedAsync(
            new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()) { OutputDirectory = folder.Path }, new SyncProgress(Poison)));

        Assert.Equal(4, error.Step);
        Assert.Equal("loss", error.Quantity);
        Assert.Contains("step 4", error.Message);
        Assert.NotNull(hashes);
        Assert.Equal(hashes, HashFiles(Path.Combine(folder.Path, "checkpoint-2")));
        Assert.Equal(["checkpoint-2"], Directory.GetDirectories(folder.Path, "checkpoint-*").Select(Path.GetFileName));
        Assert.Equal(3, File.ReadLines(Path.Combine(folder.Path, MetricsLog.FileName)).Count());
    }

    [Fact]
    public async Task ExplodingLearningRate_StopsBeforeTheWreckedWeightsReachACheckpointAndPutsTheModelBack()
    {
        // Warm-up makes step 1's learning rate 0 and step 2's 5e5: step 2 wrecks the weights (finite, of order 1e5),
        // and step 3, run with them, finds its loss or gradient non-finite.
        using var folder = new TemporaryFolder();
        using var model = TrainingFixtures.Model();
        var options = TrainingFixtures.Options(o =>
        {
            o.LearningRate = 1e6;
            o.WarmupRatio = 0.5;
            o.Epochs = 2;
            o.SaveSteps = 1;
            o.SaveTotalLimit = 10;
        });
        var trainer = TrainingFixtures.Trainer(model, options);
        Dictionary<string, float[]>? afterStepOne = null;
        float largestAfterStepTwo = 0;
        void Watch(TrainingProgress progress)
        {
            if (progress.Step == 1)
            {
                afterStepOne = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
            }
            else if (progress.Step == 2)
            {
                largestAfterStepTwo = model.NamedParameters().Max(p => TrainingFixtures.Flat(p.Parameter).Max(Math.Abs));
            }
        }

        var error = await Assert.ThrowsAsync<NonFiniteTrainingException>(() => trainer.TrainSupervisedAsync(
            new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()) { OutputDirectory = folder.Path }, new SyncProgress(Watch)));

        Assert.Equal(3, error.Step);
        Assert.True(largestAfterStepTwo > 1e4, $"step 2 should have wrecked the weights; largest is {largestAfterStepTwo}");
        // Only step 1's weights were verified (by step 2) and saved; the model is back to them.
        Assert.Equal(["checkpoint-1"], Directory.GetDirectories(folder.Path, "checkpoint-*").Select(Path.GetFileName));
        Assert.NotNull(afterStepOne);
        using var saved = LlamaForCausalLM.FromPretrained(Path.Combine(folder.Path, "checkpoint-1"));
        foreach (var (name, parameter) in model.NamedParameters())
        {
            Assert.Equal(afterStepOne[name], TrainingFixtures.Flat(parameter));
            float[] stored = TrainingFixtures.Flat(saved.NamedParameters().Single(p => p.Name == name).Parameter);
            Assert.Equal(afterStepOne[name], stored);
            Assert.All(stored, value => Assert.True(float.IsFinite(value) && Math.Abs(value) < 10, $"{name}: {value}"));
        }
    }

    [Fact]
    public async Task ExplodingLearningRate_SkipOption_SkipsTheFailingStepsAndWritesNoBrokenCheckpoint()
    {
        using var folder = new TemporaryFolder();
        using var model = TrainingFixtures.Model();
        var options = TrainingFixtures.Options(o =>
        {
            o.LearningRate = 1e6;
            o.WarmupRatio = 0.5;
            o.Epochs = 2;
            o.SaveSteps = 1;
            o.SaveTotalLimit = 10;
            o.NonFiniteSteps = NonFiniteStepAction.Skip;
        });
        var steps = new List<int>();

        // Every step after the wrecking one fails and is skipped; the pass that checks the weights after the last step
        // fails too, so the run stops at the end instead of saving them, and only the verified checkpoint exists.
        var error = await Assert.ThrowsAsync<NonFiniteTrainingException>(() => TrainingFixtures.Trainer(model, options).TrainSupervisedAsync(
            new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()) { OutputDirectory = folder.Path }, new SyncProgress(p => steps.Add(p.Step))));

        Assert.Equal([1, 2], steps);
        Assert.Equal(4, error.Step);
        Assert.EndsWith("after the last step", error.Quantity, StringComparison.Ordinal);
        Assert.Equal(["checkpoint-1"], Directory.GetDirectories(folder.Path, "checkpoint-*").Select(Path.GetFileName));
    }

    private static Dictionary<string, string> HashFiles(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f)!, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
