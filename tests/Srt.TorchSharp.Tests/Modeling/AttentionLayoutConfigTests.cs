using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>Reading the per-layer attention layout and the Gemma fields from config.json, with Hugging Face's defaults.</summary>
public sealed class AttentionLayoutConfigTests
{
    private const string Gemma2 = """
        {"architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attn_logit_softcapping": 50.0, "bos_token_id": 2,
         "cache_implementation": "hybrid", "eos_token_id": [1, 107], "final_logit_softcapping": 30.0, "head_dim": 256,
         "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304,
         "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 8,
         "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0, "query_pre_attn_scalar": 256,
         "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096, "torch_dtype": "float32", "vocab_size": 256000}
        """;

    private const string Gemma3 = """
        {"architectures": ["Gemma3ForCausalLM"], "attention_bias": false, "attn_logit_softcapping": null, "bos_token_id": 2,
         "eos_token_id": [1, 106], "final_logit_softcapping": null, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
         "hidden_size": 1152, "intermediate_size": 6912, "max_position_embeddings": 32768, "model_type": "gemma3_text",
         "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1, "pad_token_id": 0,
         "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000, "rope_scaling": null,
         "rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6, "torch_dtype": "bfloat16", "vocab_size": 262144}
        """;

    // transformers 5 layout: rotary settings per layer type, layer types spelled out.
    private const string Gemma3RopeParameters = """
        {"model_type": "gemma3_text", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
         "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32, "sliding_window": 16,
         "layer_types": ["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"],
         "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
                             "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}}
        """;

    private const string Qwen2Windowed = """
        {"model_type": "qwen2", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
         "num_attention_heads": 4, "num_key_value_heads": 2, "use_sliding_window": true, "sliding_window": 32,
         "max_window_layers": 2}
        """;

    private const string Mistral = """
        {"model_type": "mistral", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2}
        """;

    private static LlamaConfig Load(TemporaryFolder folder, string json)
    {
        var path = folder.File("config.json");
        File.WriteAllText(path, json);
        return LlamaConfig.Load(path);
    }

    [Fact]
    public void Load_Gemma2_ReadsCapsScalarAndAlternatingWindows()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Gemma2);
        Assert.True(config.IsGemma);
        Assert.Equal(256, config.HeadDimension);
        Assert.Equal(50.0, config.AttnLogitSoftcapping);
        Assert.Equal(30.0, config.FinalLogitSoftcapping);
        Assert.Equal(1 / 16.0, config.AttentionScale);
        Assert.True(config.TieWordEmbeddings); // Gemma2Config's default when the file omits it
        Assert.Equal(LlamaConfig.SlidingAttention, config.LayerTypeOf(0));
        Assert.Equal(LlamaConfig.FullAttention, config.LayerTypeOf(1));
        Assert.Equal(4096, config.SlidingWindowOf(24));
        Assert.Null(config.SlidingWindowOf(25));
        Assert.Equal((10000.0, (RopeScaling?)null), config.RotaryOf(0));
    }

    [Fact]
    public void Load_Gemma3_EverySixthLayerGlobalWithItsOwnRotaryBase()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Gemma3);
        Assert.Null(config.AttnLogitSoftcapping);
        Assert.Null(config.FinalLogitSoftcapping);
        var global = Enumerable.Range(0, 26).Where(i => config.LayerTypeOf(i) == LlamaConfig.FullAttention).ToArray();
        Assert.Equal([5, 11, 17, 23], global);
        Assert.Equal(512, config.SlidingWindowOf(0));
        Assert.Null(config.SlidingWindowOf(5));
        Assert.Equal(10000.0, config.RotaryOf(0).Theta);
        Assert.Equal(1_000_000.0, config.RotaryOf(5).Theta);
    }

    [Fact]
    public void Load_RopeParametersPerLayerType_EachLayerTypeGetsItsSettingsAndSaveKeepsTheLayout()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Gemma3RopeParameters);
        Assert.Equal((10000.0, (RopeScaling?)null), config.RotaryOf(0));
        var (theta, scaling) = config.RotaryOf(3);
        Assert.Equal(1_000_000.0, theta);
        Assert.Equal(RopeScaling.Linear, scaling!.RopeType);
        Assert.Equal(8.0, scaling.Factor);

        var copy = folder.File("copy.json");
        config.Save(copy);
        var text = File.ReadAllText(copy);
        Assert.Contains("\"full_attention\": {", text);
        Assert.DoesNotContain("rope_local_base_freq", text);
        var reloaded = LlamaConfig.Load(copy);
        Assert.Equal(config.RotaryOf(0), reloaded.RotaryOf(0));
        Assert.Equal(config.RotaryOf(3), reloaded.RotaryOf(3));
        Assert.Equal(config.LayerTypes, reloaded.LayerTypes);
        Assert.Equal(16, reloaded.SlidingWindowOf(2));
    }

    [Fact]
    public void Load_Qwen2WithUseSlidingWindow_LayersFromMaxWindowLayersSlide()
    {
        using var folder = new TemporaryFolder();
        var config = Load(folder, Qwen2Windowed);
        Assert.Equal([null, null, 32, 32], Enumerable.Range(0, 4).Select(config.SlidingWindowOf));
        var off = Load(folder, Qwen2Windowed.Replace("\"use_sliding_window\": true", "\"use_sliding_window\": false"));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Null(off.SlidingWindowOf(i)));
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("smollm3")]
    public void Load_Qwen3AndSmolLM3_GateTheirWindowsAsQwen2(string modelType)
    {
        using var folder = new TemporaryFolder();
        var json = Qwen2Windowed.Replace("\"model_type\": \"qwen2\"", $"\"model_type\": \"{modelType}\"");
        Assert.Equal([null, null, 32, 32], Enumerable.Range(0, 4).Select(Load(folder, json).SlidingWindowOf));
        var unset = Load(folder, json.Replace("\"use_sliding_window\": true, ", ""));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Null(unset.SlidingWindowOf(i))); // use_sliding_window defaults to false
    }

    [Fact]
    public void Load_Phi3WithSlidingWindow_EveryLayerSlides()
    {
        using var folder = new TemporaryFolder();
        // Phi-3-mini-4k ships sliding_window 2047; Phi3Config has no layer types, so every layer slides (as Mistral).
        var config = Load(folder, Mistral.Replace("\"mistral\"", "\"phi3\"").Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 2, \"sliding_window\": 2047"));
        Assert.Equal([2047, 2047], Enumerable.Range(0, 2).Select(config.SlidingWindowOf));
        var none = Load(folder, Mistral.Replace("\"mistral\"", "\"phi3\""));
        Assert.Null(none.SlidingWindowOf(0));
    }

    [Fact]
    public void Load_MistralWithoutOrWithNullSlidingWindow_FollowsMistralConfigDefaults()
    {
        using var folder = new TemporaryFolder();
        Assert.Equal(4096, Load(folder, Mistral).SlidingWindowOf(1)); // MistralConfig's default
        var none = Load(folder, Mistral.Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 2, \"sliding_window\": null"));
        Assert.Null(none.SlidingWindowOf(0));
        var copy = folder.File("copy.json");
        none.Save(copy);
        Assert.Null(LlamaConfig.Load(copy).SlidingWindow); // null written back, not dropped to the default
    }

    [Fact]
    public void Save_ThenLoad_Gemma2_KeepsEveryLayoutField()
    {
        using var folder = new TemporaryFolder();
        var original = Load(folder, Gemma2);
        var copy = folder.File("copy.json");
        original.Save(copy);
        var reloaded = LlamaConfig.Load(copy);
        Assert.Equal(original.SlidingWindow, reloaded.SlidingWindow);
        Assert.Equal(original.QueryPreAttnScalar, reloaded.QueryPreAttnScalar);
        Assert.Equal(original.AttnLogitSoftcapping, reloaded.AttnLogitSoftcapping);
        Assert.Equal(original.FinalLogitSoftcapping, reloaded.FinalLogitSoftcapping);
        Assert.Equal(original.HiddenActivation, reloaded.HiddenActivation);
        Assert.Equal(original.HeadDim, reloaded.HeadDim);
        Assert.Contains("\"hidden_act\": \"gelu_pytorch_tanh\"", File.ReadAllText(copy)); // unknown fields carried through
    }

    [Theory]
    [InlineData("\"sliding_window\": 16", "\"sliding_window\": 0", "sliding_window")]
    [InlineData("\"sliding_attention\", \"full_attention\"]", "\"local\", \"full_attention\"]", "layer_types[2]")]
    [InlineData("\"sliding_attention\", \"full_attention\"]", "\"full_attention\"]", "layer_types")]
    [InlineData("\"layer_types\": [", "\"hidden_activation\": \"gelu\", \"layer_types\": [", "hidden_activation")]
    [InlineData("\"full_attention\": {\"rope_type\": \"linear\", \"factor\": 8.0, \"rope_theta\": 1000000.0},", "", "rope_parameters.full_attention")]
    [InlineData("\"rope_type\": \"default\", \"rope_theta\": 10000.0", "\"rope_type\": \"yarn\", \"factor\": 2", "rope_parameters.sliding_attention.rope_type")]
    public void Load_BadLayoutField_ThrowsNamingFileAndField(string original, string replacement, string field)
    {
        using var folder = new TemporaryFolder();
        var json = Gemma3RopeParameters.Replace(original, replacement, StringComparison.Ordinal);
        Assert.NotEqual(Gemma3RopeParameters, json);
        var path = folder.File("config.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains($"'{field}'", error.Message);
    }
}
