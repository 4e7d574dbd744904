using System.Text.Json.Nodes;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class LoraTests
{
    private static readonly long[] Tokens = [97, 5, 17, 33, 2, 60, 61, 62, 40];

    [Fact]
    public async Task TrainSupervised_WithLora_BaseStaysBitIdenticalAndAdaptersLearn()
    {
        using var model = TrainingFixtures.Model(ScalarType.BFloat16);
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.Lora = new LoraOptions(); o.LearningRate = 1e-2; }));
        var losses = new List<double>();

        await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));

        Assert.All(model.NamedParameters(), p => Assert.Equal(before[p.Name], TrainingFixtures.Flat(p.Parameter)));
        var adapters = trainer.Adapters!;
        Assert.Equal(2 * 7, adapters.Count);
        Assert.All(adapters.NamedParameters(), p => Assert.Equal(ScalarType.Float32, p.Parameter.dtype));
        Assert.All(adapters.NamedParameters().Where(p => p.Name.Contains("lora_B")), p => Assert.NotEqual(0f, TrainingFixtures.Flat(p.Parameter).Max(Math.Abs)));
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");
    }

    [Fact]
    public void Lora_SaveLoadMerge_GivesTheSameLogits()
    {
        using var folder = new TemporaryFolder();
        using var model = TrainingFixtures.Model();
        using var adapters = LoraAdapters.Attach(model, new LoraOptions { Rank = 4, TargetModules = ["q_proj", "v_proj", "down_proj"] }, seed: 3);
        using (no_grad())
        {
            foreach (var (_, parameter) in adapters.NamedParameters())
            {
                parameter.normal_(0, 0.2); // B = 0 would make every check trivial
            }
        }
        using var input = TinyLlama.Ids(Tokens);
        using var adapted = model.Forward(input);
        using var baseLogits = WithAdaptersOff(adapters, () => model.Forward(input));
        Assert.True(TinyLlama.MaxAbsDifference(adapted, baseLogits) > 1e-2);

        adapters.Save(folder.Path, "tiny-base");

        var config = JsonNode.Parse(File.ReadAllText(folder.File(LoraAdapters.ConfigFileName)))!;
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(16, config["lora_alpha"]!.GetValue<double>());
        Assert.Equal("tiny-base", config["base_model_name_or_path"]!.GetValue<string>());
        using (var reader = global::Srt.TorchSharp.Loading.SafetensorsReader.Open(folder.File(LoraAdapters.WeightsFileName)))
        {
            Assert.Equal(2 * 2 * 3, reader.Tensors.Count);
            Assert.True(reader.TryGetTensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", out var a));
            Assert.Equal([4L, 32L], a.Shape);
            Assert.True(reader.TryGetTensor("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", out var b));
            Assert.Equal([32L, 4L], b.Shape);
        }

        using var fresh = TrainingFixtures.Model();
        using var loaded = LoraAdapters.Load(fresh, folder.Path);
        using var reloaded = fresh.Forward(input);
        Assert.Equal(0f, TinyLlama.MaxAbsDifference(adapted, reloaded));

        loaded.MergeAndDispose(fresh);
        using var merged = fresh.Forward(input);
        Assert.True(TinyLlama.MaxAbsDifference(adapted, merged) < 1e-4, $"merged differs by {TinyLlama.MaxAbsDifference(adapted, merged)}");
        Assert.All(fresh.Parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void AdaptersDisabled_SequenceLogProbs_EqualTheBaseModel()
    {
        using var model = TrainingFixtures.Model();
        using var twin = TrainingFixtures.Model();
        using var adapters = LoraAdapters.Attach(model, new LoraOptions(), seed: 5);
        using (no_grad())
        {
            foreach (var (name, parameter) in adapters.NamedParameters().Where(p => p.Name.Contains("lora_B")))
            {
                parameter.normal_(0, 0.2);
            }
        }
        var rows = new List<TrainingSequence>
        {
            new("a", [.. Tokens.Select(t => (int)t)], [false, false, false, true, true, true, true, true, true]),
            new("b", [97, 8, 9, 10], [false, false, true, true]),
        };
        var lossOptions = new LanguageModelLossOptions();

        var withAdapters = SequenceBatch.SequenceLogProbsNoGrad(model, rows, lossOptions, 2);
        var disabled = WithAdaptersOff(adapters, () => SequenceBatch.SequenceLogProbsNoGrad(model, rows, lossOptions, 2));
        var baseModel = SequenceBatch.SequenceLogProbsNoGrad(twin, rows, lossOptions, 2);

        Assert.Equal(baseModel, disabled);
        Assert.NotEqual(baseModel, withAdapters);
    }

    [Fact]
    public void LoadAdapters_WrongPeftType_NamesTheField()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File(LoraAdapters.ConfigFileName), """{ "peft_type": "IA3", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"] }""");
        using var model = TrainingFixtures.Model();

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapters.Load(model, folder.Path));
        Assert.Contains("'peft_type'", error.Message);
    }

    private static T WithAdaptersOff<T>(LoraAdapters adapters, Func<T> run)
    {
        adapters.Enabled = false;
        try
        {
            return run();
        }
        finally
        {
            adapters.Enabled = true;
        }
    }
}
