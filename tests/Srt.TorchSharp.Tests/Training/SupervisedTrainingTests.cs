using Microsoft.Extensions.AI;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class SupervisedTrainingTests
{
    [Fact]
    public async Task TrainSupervised_TinyModel_LossFallsAndEveryParameterChanges()
    {
        using var model = TrainingFixtures.Model();
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.LearningRate = 1e-2; o.Epochs = 8; }));
        var losses = new List<double>();

        var result = await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));

        Assert.Equal(16, result.Steps); // 8 examples / global batch 4 × 8 epochs
        Assert.Equal(16, losses.Count);
        Assert.True(losses[^1] < 0.6 * losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");
        Assert.Equal(losses[^1], result.FinalLoss);
        Assert.All(model.NamedParameters(), p => Assert.NotEqual(before[p.Name], TrainingFixtures.Flat(p.Parameter)));
        Assert.Equal(8 * TrainingFixtures.RepeatExamples().Sum(e => e.Completion[0].Text.Length + 1), result.TrainedTokens);
        Assert.Null(result.CheckpointDirectory);
    }

    [Fact]
    public async Task TrainSupervised_TooLongExamples_ReportsTruncationAndDropsEmptyOnes()
    {
        using var model = TrainingFixtures.Model();
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.MaxSequenceLength = 32; o.Epochs = 1; }));
        var examples = TrainingFixtures.RepeatExamples(4).Append(
            new SupervisedExample("long-prompt", [new ChatMessage(ChatRole.User, new string('x', 40))], [new SequenceSegment("ab")])).ToList();

        var result = await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(examples));

        Assert.Equal(5, result.TruncatedExamples); // the four cut answers and the dropped one
        Assert.Equal(1, result.Steps);             // four examples left: one global batch
        Assert.Equal(4 * 3, result.TrainedTokens); // 32 − 29 prompt tokens each
    }

    [Fact]
    public async Task TrainSupervised_EveryExampleDropped_ThrowsClearError()
    {
        using var model = TrainingFixtures.Model();
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => o.MaxSequenceLength = 10));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples(2))));
        Assert.Contains("No example is left", error.Message);
    }

    [Fact]
    public async Task TrainSupervised_OnModelBundle_TrainsAndRecordsTheModelIdForAdapters()
    {
        using var folder = new Modeling.TemporaryFolder();
        using var bundle = new CausalLanguageModel(TrainingFixtures.Model(), TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, "tiny-chat");
        var trainer = new TorchSharpTrainer(bundle, TrainingFixtures.Options(o => { o.Epochs = 1; o.Lora = new LoraOptions(); }));

        var result = await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()) { OutputDirectory = folder.Path });

        Assert.Equal(2, result.Steps);
        Assert.Same(bundle.Model, trainer.GetService(typeof(global::Srt.TorchSharp.Modeling.LlamaForCausalLM)));
        Assert.Same(trainer.Adapters, trainer.GetService(typeof(LoraAdapters)));
        string config = File.ReadAllText(Path.Combine(result.CheckpointDirectory!, LoraAdapters.ConfigFileName));
        Assert.Contains("\"base_model_name_or_path\": \"tiny-chat\"", config);
    }

    [Theory]
    [InlineData(LossImplementation.Fused)]
    [InlineData(LossImplementation.Plain)]
    public void SupervisedLoss_TrailingUntrainedTokens_GetExactlyZeroGradient(LossImplementation implementation)
    {
        using var model = TrainingFixtures.Model();
        var marker = TrainingFixtures.Id('Z'); // appears only in the untrained tail
        var ids = new[] { 1, 2, 3, 4, 5, 6, marker, 7 };
        var mask = new[] { false, false, true, true, true, false, false, false };
        double LossAndMarkerGradient(int lastTarget, out float[] markerRow)
        {
            foreach (var p in model.Parameters())
            {
                p.grad?.zero_();
            }
            ids[^1] = lastTarget;
            using var objective = new SupervisedObjective(model, [new TrainingSequence("s", [.. ids], [.. mask])], implementation);
            var (loss, _) = objective.Run([0], 3, 1);
            using var grad = model.EmbeddingWeight.grad!;
            markerRow = TrainingFixtures.Flat(grad[marker]);
            return loss;
        }

        double loss = LossAndMarkerGradient(7, out var row);
        double changedTarget = LossAndMarkerGradient(8, out _);

        Assert.All(row, g => Assert.Equal(0f, g));
        Assert.Equal(loss, changedTarget);
        Assert.True(loss > 0);
    }
}
