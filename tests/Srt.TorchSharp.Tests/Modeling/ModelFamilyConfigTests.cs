using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>config.json of the newer families, in the shape their published checkpoints ship, and the fields refused by name.</summary>
public sealed class ModelFamilyConfigTests
{
    private const string Qwen3 = """
        {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 151643,
         "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024, "intermediate_size": 3072,
         "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 16,
         "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000,
         "sliding_window": null, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_sliding_window": false, "vocab_size": 151936}
        """;

    private const string Olmo2 = """
        {"architectures": ["Olmo2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "eos_token_id": 100257,
         "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 8192, "max_position_embeddings": 4096, "model_type": "olmo2",
         "num_attention_heads": 16, "num_hidden_layers": 16, "num_key_value_heads": 16, "pad_token_id": 100277, "rms_norm_eps": 1e-06,
         "rope_scaling": null, "rope_theta": 500000, "tie_word_embeddings": false, "torch_dtype": "float32", "vocab_size": 100352}
        """;

    private const string SmolLM3 = """
        {"architectures": ["SmolLM3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": null,
         "eos_token_id": 128012, "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 11008, "max_position_embeddings": 65536,
         "mlp_bias": false, "model_type": "smollm3", "no_rope_layer_interval": 4,
         "no_rope_layers": [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0],
         "num_attention_heads": 16, "num_hidden_layers": 36, "num_key_value_heads": 4, "pad_token_id": 128004, "rms_norm_eps": 1e-06,
         "rope_scaling": null, "rope_theta": 5000000.0, "sliding_window": null, "torch_dtype": "bfloat16", "use_sliding_window": false,
         "vocab_size": 128256}
        """;

    private const string Phi3Mini = """
        {"architectures": ["Phi3ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "embd_pdrop": 0.0, "eos_token_id": 32000,
         "hidden_act": "silu", "hidden_size": 3072, "intermediate_size": 8192, "max_position_embeddings": 4096, "model_type": "phi3",
         "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32, "original_max_position_embeddings": 4096,
         "pad_token_id": 32000, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 10000.0,
         "sliding_window": 2047, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 32064}
        """;

    // Phi-4-mini's shape: partial rotary 0.75 and LongRoPE (factor lists shortened; the kind is refused before they are read).
    private const string Phi4Mini = """
        {"architectures": ["Phi3ForCausalLM"], "attention_dropout": 0.0, "embd_pdrop": 0.0, "hidden_act": "silu", "hidden_size": 3072,
         "intermediate_size": 8192, "max_position_embeddings": 131072, "model_type": "phi3", "num_attention_heads": 24,
         "num_hidden_layers": 32, "num_key_value_heads": 8, "original_max_position_embeddings": 4096, "partial_rotary_factor": 0.75,
         "resid_pdrop": 0.0, "rms_norm_eps": 1e-05, "rope_scaling": {"long_factor": [1.0, 1.1], "short_factor": [1.0, 1.0], "type": "longrope"},
         "rope_theta": 10000.0, "tie_word_embeddings": true, "vocab_size": 200064}
        """;

    private static LlamaConfig Load(TemporaryFolder folder, string json)
    {
        File.WriteAllText(folder.File("config.json"), json);
        return LlamaConfig.Load(folder.Path);
    }

    private static InvalidDataException LoadFails(string json, string field)
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("config.json"), json);
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(folder.Path));
        Assert.Contains($"'{field}'", error.Message);
        Assert.Contains(folder.File("config.json"), error.Message);
        return error;
    }

    [Fact]
    public void Load_Qwen3_ExplicitHeadDimAndPerHeadQkNorm()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Qwen3);
        Assert.Equal(128, config.HeadDimension); // not 1024 / 16 = 64
        Assert.True(config.HasPerHeadQkNorm);
        Assert.False(config.HasQkvBias);
        Assert.False(config.HasOutputProjectionBias);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(128, config.RotaryDimension);
    }

    [Fact]
    public void Load_Qwen3WithoutHeadDim_UsesTransformersDefault128()
    {
        using var folder = new TemporaryFolder();
        Assert.Equal(128, Load(folder, Qwen3.Replace("\"head_dim\": 128, ", "")).HeadDimension);
    }

    [Fact]
    public void Load_Qwen3WithAttentionBias_BiasesOutputProjectionToo()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Qwen3.Replace("\"attention_bias\": false", "\"attention_bias\": true"));
        Assert.True(config.HasQkvBias);
        Assert.True(config.HasOutputProjectionBias); // unlike Qwen2, Qwen3's o_proj follows attention_bias
    }

    [Fact]
    public void Load_Olmo2_PostNorm()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Olmo2);
        Assert.True(config.IsPostNorm);
        Assert.False(config.HasPerHeadQkNorm);
        Assert.Equal(500000, config.RopeTheta);
        Assert.Equal(1e-5, Load(folder, Olmo2.Replace("\"rms_norm_eps\": 1e-06,", "")).RmsNormEps); // Olmo2Config's default
    }

    [Fact]
    public void Load_SmolLM3_NoRopeLayersMarkEveryFourthLayer()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, SmolLM3);
        Assert.Equal(36, config.NoRopeLayers!.Count);
        Assert.Equal(
            Enumerable.Range(0, 36).Where(i => i % 4 == 3),
            Enumerable.Range(0, 36).Where(i => !config.UsesRotary(i)));
        Assert.True(config.TieWordEmbeddings); // SmolLM3Config ties by default
        Assert.Null(config.BosTokenId);
    }

    [Fact]
    public void Load_SmolLM3WithoutList_DerivesNoPeLayersFromInterval()
    {
        using var folder = new TemporaryFolder();
        var json = SmolLM3[..SmolLM3.IndexOf("\"no_rope_layers\"", StringComparison.Ordinal)]
            + SmolLM3[(SmolLM3.IndexOf("\"num_attention_heads\"", StringComparison.Ordinal))..];
        var config = Load(folder, json.Replace("\"no_rope_layer_interval\": 4", "\"no_rope_layer_interval\": 3"));
        Assert.Null(config.NoRopeLayers);
        Assert.Equal(Enumerable.Range(0, 36).Where(i => i % 3 == 2), Enumerable.Range(0, 36).Where(i => !config.UsesRotary(i)));
    }

    [Fact]
    public void Load_Phi3Mini_FusedProjectionsFullRotary()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Phi3Mini);
        Assert.True(config.HasFusedProjections);
        Assert.Equal(96, config.RotaryDimension);
        Assert.False(config.TieWordEmbeddings);
    }

    [Fact]
    public void Load_Phi4MiniLongRope_RefusedNamingTheField()
    {
        var error = LoadFails(Phi4Mini, "rope_scaling.rope_type");
        Assert.Contains("longrope", error.Message);
        Assert.Contains("LongRoPE", error.Message);
    }

    [Fact]
    public void Load_Phi4MiniShapeWithoutLongRope_RotatesThreeQuartersOfEachHead()
    {
        using var folder = new TemporaryFolder();
        var json = System.Text.RegularExpressions.Regex.Replace(Phi4Mini, "\"rope_scaling\": \\{[^}]*\\}", "\"rope_scaling\": null");
        var config = Load(folder, json);
        Assert.Equal(128, config.HeadDimension);
        Assert.Equal(96, config.RotaryDimension);
        var saved = folder.File("saved.json");
        config.Save(saved);
        Assert.Equal(0.75, LlamaConfig.Load(saved).PartialRotaryFactor);
    }

    [Fact]
    public void SaveLoad_SmolLM3_KeepsNoRopeLayersAndActivation()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, SmolLM3);
        var saved = folder.File("saved.json");
        config.Save(saved);
        var reloaded = LlamaConfig.Load(saved);
        Assert.Equal(config.NoRopeLayers, reloaded.NoRopeLayers);
        Assert.Equal("silu", reloaded.HiddenAct);
        Assert.Equal(4, reloaded.NoRopeLayerInterval);
        Assert.True(reloaded.TieWordEmbeddings);
    }

    [Theory]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu_pytorch_tanh\"", "hidden_act")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_scaling.rope_type")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}", "rope_scaling.rope_type")]
    [InlineData("\"attention_dropout\": 0.0", "\"attention_dropout\": 0.1", "attention_dropout")]
    [InlineData("\"head_dim\": 128", "\"head_dim\": 128, \"partial_rotary_factor\": 0.5", "partial_rotary_factor")]
    [InlineData("\"head_dim\": 128", "\"head_dim\": 128, \"mlp_bias\": true", "mlp_bias")]
    [InlineData("\"head_dim\": 128", "\"head_dim\": 128, \"no_rope_layers\": [1, 0]", "no_rope_layers")]
    public void Load_Qwen3WithUnsupportedField_RefusedNamingTheField(string from, string to, string field) =>
        LoadFails(Qwen3.Replace(from, to), field);

    [Theory]
    [InlineData("\"no_rope_layers\": [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0,", "\"no_rope_layers\": [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1,", "no_rope_layers")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"relu\"", "hidden_act")]
    public void Load_SmolLM3WithBadField_RefusedNamingTheField(string from, string to, string field) =>
        LoadFails(SmolLM3.Replace(from, to), field);

    [Theory]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"su\", \"long_factor\": [1.0], \"short_factor\": [1.0]}", "rope_scaling.rope_type")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0}", "rope_scaling.rope_type")]
    [InlineData("\"resid_pdrop\": 0.0", "\"resid_pdrop\": 0.1", "resid_pdrop")]
    [InlineData("\"embd_pdrop\": 0.0", "\"embd_pdrop\": 0.1", "embd_pdrop")]
    [InlineData("\"rope_theta\": 10000.0", "\"rope_theta\": 10000.0, \"attention_bias\": true", "attention_bias")]
    [InlineData("\"rope_theta\": 10000.0", "\"rope_theta\": 10000.0, \"partial_rotary_factor\": 1.5", "partial_rotary_factor")]
    public void Load_Phi3WithUnsupportedField_RefusedNamingTheField(string from, string to, string field) =>
        LoadFails(Phi3Mini.Replace(from, to), field);

    [Fact]
    public void Load_UnknownModelType_ListsEverySupportedType()
    {
        var error = LoadFails(Qwen3.Replace("\"model_type\": \"qwen3\"", "\"model_type\": \"qwen9\""), "model_type");
        foreach (var type in LlamaConfig.SupportedModelTypes)
        {
            Assert.Contains(type, error.Message);
        }
        Assert.Equal(["llama", "mistral", "qwen2", "qwen3", "olmo2", "smollm3", "phi3", "gemma2", "gemma3_text"], LlamaConfig.SupportedModelTypes);
    }
}
