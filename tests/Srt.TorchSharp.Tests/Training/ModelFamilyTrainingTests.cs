using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

/// <summary>SFT, DPO and LoRA steps on Qwen3, OLMo 2, SmolLM3 and Phi-3 (LoRA on Phi-3's fused projections).</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class ModelFamilyTrainingTests
{
    public static TheoryData<string> Families => ["qwen3", "olmo2", "smollm3", "phi3"];

    private static readonly string[] Phi3Targets = ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"];

    private static LlamaForCausalLM Model(string variant) =>
        LlamaForCausalLM.Create(
            TinyFamilies.Config(variant) with
            {
                VocabSize = TrainingFixtures.VocabularySize, MaxPositionEmbeddings = 256, EosTokenIds = [TrainingFixtures.ImEnd],
            },
            seed: 11, initializerRange: 0.05);

    [Theory]
    [MemberData(nameof(Families))]
    public async Task TrainSupervised_Family_LossFallsAndEveryParameterChanges(string variant)
    {
        using var model = Model(variant);
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.LearningRate = 1e-2; o.Epochs = 3; }));
        var losses = new List<double>();

        await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));

        Assert.Equal(6, losses.Count);
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");
        // q_norm/k_norm, post_feedforward_layernorm, qkv_proj and gate_up_proj all receive gradients.
        Assert.All(model.NamedParameters(), p => Assert.NotEqual(before[p.Name], TrainingFixtures.Flat(p.Parameter)));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task TrainPreference_Family_StartsAtLn2AndMarginRises(string variant)
    {
        using var model = Model(variant);
        var trainer = TrainingFixtures.Trainer(model, preference: TrainingFixtures.PreferenceOptions(o => { o.DpoBeta = 0.1; o.Epochs = 2; }));
        var steps = new List<TrainingProgress>();

        await trainer.TrainPreferenceAsync(new PreferenceTrainingRequest(TrainingFixtures.RepeatPairs()), new SyncProgress(steps.Add));

        Assert.Equal(4, steps.Count);
        Assert.Equal(Math.Log(2), steps[0].Loss, 5); // policy = reference at step 1
        Assert.True(steps[^1].Metrics["rewards/margins"] > 0, $"final margin {steps[^1].Metrics["rewards/margins"]}");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task TrainSupervised_FamilyWithLora_BaseUnchangedAdaptersLearnAndSaveUnderPeftNames(string variant)
    {
        using var model = Model(variant);
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        var lora = variant == "phi3" ? new LoraOptions { TargetModules = [.. Phi3Targets] } : new LoraOptions();
        var trainer = TrainingFixtures.Trainer(model, TrainingFixtures.Options(o => { o.Lora = lora; o.LearningRate = 1e-2; o.Epochs = 2; }));
        var losses = new List<double>();

        await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()), new SyncProgress(p => losses.Add(p.Loss)));

        Assert.All(model.NamedParameters(), p => Assert.Equal(before[p.Name], TrainingFixtures.Flat(p.Parameter)));
        var adapters = trainer.Adapters!;
        Assert.Equal(2 * lora.TargetModules.Count, adapters.Count);
        Assert.All(adapters.NamedParameters().Where(p => p.Name.Contains("lora_B")), p => Assert.NotEqual(0f, TrainingFixtures.Flat(p.Parameter).Max(Math.Abs)));
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]:F3} → {losses[^1]:F3}");

        using var folder = new TemporaryFolder();
        adapters.Save(folder.Path);
        using var reader = SafetensorsReader.Open(folder.File(LoraAdapters.WeightsFileName));
        var names = reader.Tensors.Select(t => t.Name).ToHashSet();
        if (variant == "phi3")
        {
            // PEFT's names for Phi-3: the adapter sits on the fused matrix, B spanning all of q, k and v.
            Assert.Contains("base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight", names);
            Assert.Equal([64L, 8L], reader.Tensors.Single(t => t.Name == "base_model.model.model.layers.1.self_attn.qkv_proj.lora_B.weight").Shape.ToArray());
            Assert.Contains("base_model.model.model.layers.1.mlp.gate_up_proj.lora_B.weight", names);
        }
        else
        {
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", names);
        }
    }

    [Fact]
    public void AttachLora_Phi3WithSplitProjectionNames_RefusedNamingTheFusedOnes()
    {
        using var model = Model("phi3");
        var error = Assert.Throws<InvalidOperationException>(() => LoraAdapters.Attach(model, new LoraOptions()));
        Assert.Contains("q_proj", error.Message);
        Assert.Contains("qkv_proj", error.Message);
        Assert.Contains("gate_up_proj", error.Message);
        Assert.All(model.Parameters(), p => Assert.True(p.requires_grad)); // nothing was frozen
    }

    [Fact]
    public void LoraOptions_FusedTargets_Validate()
    {
        new LoraOptions { TargetModules = [.. Phi3Targets] }.Validate();
        Assert.Throws<ArgumentException>(() => new LoraOptions { TargetModules = ["qkv"] }.Validate());
    }
}
