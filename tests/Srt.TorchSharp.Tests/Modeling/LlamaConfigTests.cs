using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp.Tests.Modeling;

public sealed class LlamaConfigTests
{
    private const string Llama31 = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 4096,
          "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
          "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "max_position_embeddings": 131072,
          "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "tie_word_embeddings": false, "attention_bias": false, "mlp_bias": false, "torch_dtype": "bfloat16",
          "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "transformers_version": "4.43.0"
        }
        """;

    private const string Qwen2 = """
        {"model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864,
         "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
         "rope_theta": 1000000.0, "max_position_embeddings": 32768, "tie_word_embeddings": true,
         "rope_scaling": null, "torch_dtype": "bfloat16", "bos_token_id": 151643, "eos_token_id": 151645}
        """;

    private static string Write(TemporaryFolder folder, string json)
    {
        var path = folder.File("config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Load_Llama31_ReadsEveryField()
    {
        using var folder = new TemporaryFolder();
        var config = LlamaConfig.Load(Write(folder, Llama31));
        Assert.Equal(128256, config.VocabSize);
        Assert.Equal(8, config.KeyValueHeadCount);
        Assert.Equal(128, config.HeadDimension);
        Assert.Equal(500000.0, config.RopeTheta);
        Assert.Equal(1e-5, config.RmsNormEps);
        Assert.Equal(RopeScaling.Llama3, config.RopeScaling!.RopeType);
        Assert.Equal(8.0, config.RopeScaling.Factor);
        Assert.Equal(8192, config.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Equal([128001, 128008, 128009], config.EosTokenIds);
        Assert.Equal("bfloat16", config.TorchDtype);
        Assert.False(config.HasQkvBias);
        Assert.False(config.TieWordEmbeddings);
    }

    [Fact]
    public void Load_Qwen2_HasQkvBiasButNoOutputBias()
    {
        using var folder = new TemporaryFolder();
        Write(folder, Qwen2);
        var config = LlamaConfig.Load(folder.Path); // a folder resolves to its config.json
        Assert.True(config.HasQkvBias);
        Assert.False(config.HasOutputProjectionBias);
        Assert.True(config.TieWordEmbeddings);
        Assert.Null(config.RopeScaling);
        Assert.Equal([151645], config.EosTokenIds);
        Assert.Equal(64, config.HeadDimension);
    }

    [Fact]
    public void Load_LinearScalingWithOldTypeField_Reads()
    {
        using var folder = new TemporaryFolder();
        var config = LlamaConfig.Load(Write(folder, Qwen2.Replace("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}")));
        Assert.Equal(RopeScaling.Linear, config.RopeScaling!.RopeType);
        Assert.Equal(2.0, config.RopeScaling.Factor);
    }

    [Theory]
    [InlineData("\"hidden_size\": 896", "\"hidden_size\": 900", "hidden_size")]
    [InlineData("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3", "num_attention_heads")]
    [InlineData("\"vocab_size\": 151936", "\"vocab_size\": \"big\"", "vocab_size")]
    [InlineData("\"vocab_size\": 151936,", "", "vocab_size")]
    [InlineData("\"model_type\": \"qwen2\"", "\"model_type\": \"gpt2\"", "model_type")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}", "rope_scaling.rope_type")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 4, \"high_freq_factor\": 1}", "rope_scaling.high_freq_factor")]
    [InlineData("\"eos_token_id\": 151645", "\"eos_token_id\": [1, \"x\"]", "eos_token_id[1]")]
    public void Load_BadField_ThrowsNamingFileAndField(string original, string replacement, string field)
    {
        using var folder = new TemporaryFolder();
        var path = Write(folder, Qwen2.Replace(original, replacement));
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void Load_InvalidJson_ThrowsNamingFileAndLine()
    {
        using var folder = new TemporaryFolder();
        var path = Write(folder, "{\n\"vocab_size\": 3,\n oops }");
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Save_ThenLoad_KeepsFieldsAndUnknownFields()
    {
        using var folder = new TemporaryFolder();
        var original = LlamaConfig.Load(Write(folder, Llama31));
        var copy = folder.File("copy.json");
        original.Save(copy);
        var reloaded = LlamaConfig.Load(copy);
        Assert.Equal(original.RopeScaling, reloaded.RopeScaling);
        Assert.Equal(original.EosTokenIds, reloaded.EosTokenIds);
        Assert.Equal(original.NumKeyValueHeads, reloaded.NumKeyValueHeads);
        Assert.Equal(original.RopeTheta, reloaded.RopeTheta);
        Assert.Equal(original.TorchDtype, reloaded.TorchDtype);
        var text = File.ReadAllText(copy);
        Assert.Contains("\"transformers_version\": \"4.43.0\"", text);
        Assert.Contains("LlamaForCausalLM", text);
    }
}
