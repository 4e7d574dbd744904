using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

/// <summary>Gemma 2 / Gemma 3 checkpoints: Hugging Face names, single-file and sharded round trips, strict matching.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class GemmaCheckpointTests
{
    [Theory]
    [InlineData("gemma2", null)]
    [InlineData("gemma3", null)]
    [InlineData("gemma3-rope-parameters", 6000L)]
    [InlineData("gemma2", 6000L)]
    public void SaveThenLoad_IsBitwiseExactAndGivesTheSameLogits(string variant, long? maxShardBytes)
    {
        using var folder = new TemporaryFolder();
        using var model = TinyGemma.Create(TinyGemma.Config(variant));
        model.SavePretrained(folder.Path, maxShardBytes);
        Assert.Equal(maxShardBytes is null, File.Exists(folder.File("model.safetensors")));
        Assert.Equal(maxShardBytes is not null, File.Exists(folder.File("model.safetensors.index.json")));
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path);
        Assert.Equal(model.Config.LayerTypeOf(1), loaded.Config.LayerTypeOf(1));
        Assert.Equal(model.Config.RotaryOf(0), loaded.Config.RotaryOf(0));
        Assert.Equal(model.Config.AttnLogitSoftcapping, loaded.Config.AttnLogitSoftcapping);
        var saved = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());
        Assert.All(loaded.NamedParameters(), p => Assert.Equal(saved[p.Name], p.Parameter.data<float>().ToArray()));
        using var noGrad = no_grad();
        using var ids = TinyLlama.Ids([3, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46]);
        using var expected = model.Forward(ids);
        using var actual = loaded.Forward(ids);
        Assert.Equal(0f, TinyLlama.MaxAbsDifference(expected, actual));
    }

    [Fact]
    public void Load_MissingQkNorm_NamesTheTensor()
    {
        using var folder = new TemporaryFolder();
        using (var model = TinyGemma.Create(TinyGemma.Config("gemma3")))
        {
            model.SavePretrained(folder.Path);
        }
        const string Name = "model.layers.2.self_attn.k_norm.weight";
        CheckpointFiles.Rewrite(folder.File("model.safetensors"), tensors => tensors.RemoveAll(t => t.Name == Name));
        var error = Assert.Throws<CheckpointFormatException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Equal(Name, error.TensorName);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void Load_Gemma3WeightsUnderGemma2Config_NamesTheUnexpectedQkNorms()
    {
        using var folder = new TemporaryFolder();
        using (var model = TinyGemma.Create(TinyGemma.Config("gemma3")))
        {
            model.SavePretrained(folder.Path);
        }
        var configPath = folder.File("config.json");
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"gemma3_text\"", "\"gemma2\"", StringComparison.Ordinal));
        var error = Assert.Throws<CheckpointFormatException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Contains("_norm.weight", error.TensorName);
        Assert.Contains("unexpected tensors", error.Message);
        Assert.Contains("model.layers.0.self_attn.q_norm.weight", error.Message);
    }

    [Fact]
    public void Load_TiedGemmaCheckpointWithLmHead_IsAccepted()
    {
        using var folder = new TemporaryFolder();
        using var model = TinyGemma.Create(TinyGemma.Config("gemma2"));
        model.SavePretrained(folder.Path);
        // Some exports store the tied head as well; it is the embedding and is ignored.
        CheckpointFiles.Rewrite(folder.File("model.safetensors"), tensors => tensors.Add(("lm_head.weight", model.EmbeddingWeight.detach().clone())));
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path);
        Assert.Equal(model.EmbeddingWeight.data<float>().ToArray(), loaded.LmHeadWeight.data<float>().ToArray());
    }
}
