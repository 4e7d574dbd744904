using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

/// <summary>Hugging Face layout for Qwen3, OLMo 2, SmolLM3 and Phi-3: names, fused tensors, strictness, exact round trips.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class ModelFamilyCheckpointTests
{
    public static TheoryData<string> Variants => TinyFamilies.Variants;

    private static Dictionary<string, long[]> StoredShapes(string folder)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, "*.safetensors"))
        {
            using var reader = SafetensorsReader.Open(file);
            foreach (var info in reader.Tensors)
            {
                shapes.Add(info.Name, info.Shape.ToArray());
            }
        }
        return shapes;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void SaveLoad_SingleFileAndSharded_BitForBitWithSameLogits(string variant)
    {
        using var model = TinyFamilies.Create(variant);
        using var single = new TemporaryFolder();
        using var sharded = new TemporaryFolder();
        model.SavePretrained(single.Path);
        model.SavePretrained(sharded.Path, maxShardBytes: 20_000);
        Assert.True(File.Exists(single.File("model.safetensors")));
        Assert.True(Directory.GetFiles(sharded.Path, "model-*-of-*.safetensors").Length > 1);

        using var noGrad = no_grad();
        using var input = TinyLlama.Ids([3, 250, 17, 9, 61]);
        using var expected = model.Forward(input);
        foreach (var folder in new[] { single.Path, sharded.Path })
        {
            using var loaded = LlamaForCausalLM.FromPretrained(folder);
            Assert.Equal(model.Config.ModelType, loaded.Config.ModelType);
            CheckpointRoundTripTests.AssertBitwiseEqual(model, loaded);
            using var actual = loaded.Forward(input);
            Assert.True(actual.bytes.SequenceEqual(expected.bytes), $"{folder}: logits differ after reloading");
        }
    }

    [Fact]
    public void Save_Phi3_KeepsQkvAndGateUpFused()
    {
        using var model = TinyFamilies.Create("phi3");
        using var folder = new TemporaryFolder();
        model.SavePretrained(folder.Path);
        var shapes = StoredShapes(folder.Path);
        // (4 query + 2 × 2 key/value heads) × head_dim 8 rows; 2 × intermediate 64 rows.
        Assert.Equal([64L, 32L], shapes["model.layers.0.self_attn.qkv_proj.weight"]);
        Assert.Equal([128L, 32L], shapes["model.layers.1.mlp.gate_up_proj.weight"]);
        Assert.DoesNotContain(shapes.Keys, name => name.Contains("q_proj", StringComparison.Ordinal) || name.Contains("gate_proj", StringComparison.Ordinal));
        Assert.Equal(3 + 2 * 6, shapes.Count); // embed, lm_head, norm; per layer qkv, o, gate_up, down and two norms
    }

    [Theory]
    [InlineData("phi3")]
    [InlineData("olmo2")]
    public void SaveLoad_Bfloat16_StaysBf16AndReloadsBitForBit(string variant)
    {
        using var model = TinyFamilies.Create(variant).To(CPU, ScalarType.BFloat16);
        using var folder = new TemporaryFolder();
        model.SavePretrained(folder.Path);
        using (var reader = SafetensorsReader.Open(folder.File("model.safetensors")))
        {
            Assert.All(reader.Tensors, t => Assert.Equal("BF16", t.DType));
        }
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path, new ModelLoadOptions { DType = ScalarType.BFloat16 });
        CheckpointRoundTripTests.AssertBitwiseEqual(model, loaded);
        using var noGrad = no_grad();
        using var input = TinyLlama.Ids([3, 250, 17, 9, 61]);
        using var expected = model.Forward(input);
        using var actual = loaded.Forward(input);
        Assert.True(actual.bytes.SequenceEqual(expected.bytes), "bf16 logits differ after reloading");
    }

    [Theory]
    [InlineData("qwen3", "model.layers.0.self_attn.q_norm.weight", 16L)]
    [InlineData("qwen3", "model.layers.1.self_attn.k_norm.weight", 16L)]
    [InlineData("olmo2", "model.layers.0.self_attn.q_norm.weight", 32L)]
    [InlineData("olmo2", "model.layers.0.self_attn.k_norm.weight", 16L)]
    [InlineData("olmo2", "model.layers.1.post_feedforward_layernorm.weight", 32L)]
    public void Save_QkNormFamilies_WriteNormsWithTransformersShapes(string variant, string name, long width)
    {
        using var model = TinyFamilies.Create(variant);
        using var folder = new TemporaryFolder();
        model.SavePretrained(folder.Path);
        var shapes = StoredShapes(folder.Path);
        Assert.Equal([width], shapes[name]);
        if (variant == "olmo2")
        {
            Assert.DoesNotContain(shapes.Keys, n => n.Contains("input_layernorm", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("qwen3", "model.layers.1.self_attn.k_norm.weight")]
    [InlineData("olmo2", "model.layers.0.post_feedforward_layernorm.weight")]
    [InlineData("phi3", "model.layers.1.self_attn.qkv_proj.weight")]
    [InlineData("smollm3", "model.embed_tokens.weight")]
    public void Load_MissingFamilyTensor_NamesIt(string variant, string name)
    {
        using var folder = new TemporaryFolder();
        using (var model = TinyFamilies.Create(variant))
        {
            model.SavePretrained(folder.Path);
        }
        CheckpointFiles.Rewrite(folder.File("model.safetensors"), tensors => tensors.RemoveAll(t => t.Name == name));
        var error = Assert.Throws<CheckpointFormatException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Equal(name, error.TensorName);
        Assert.Contains("missing", error.Message);
    }

    [Theory]
    [InlineData("olmo2", "model.layers.0.input_layernorm.weight", 32)] // OLMo 2 has no input norm
    [InlineData("phi3", "model.layers.0.self_attn.q_proj.weight", 32)] // split layout in a fused model
    [InlineData("smollm3", "model.layers.0.self_attn.q_norm.weight", 8)]
    public void Load_UnexpectedFamilyTensor_NamesIt(string variant, string name, long width)
    {
        using var folder = new TemporaryFolder();
        using (var model = TinyFamilies.Create(variant))
        {
            model.SavePretrained(folder.Path);
        }
        CheckpointFiles.Rewrite(folder.File("model.safetensors"), tensors => tensors.Add((name, ones(width))));
        var error = Assert.Throws<CheckpointFormatException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Equal(name, error.TensorName);
        Assert.Contains("unexpected", error.Message);
    }
}
