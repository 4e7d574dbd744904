using System.Text.Json.Nodes;
using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Tests.Tokenizers;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

/// <summary>
/// Srt loads what TRL (transformers 5, PEFT) saves: a full fine-tune's folder (sharded safetensors with
/// <c>model.safetensors.index.json</c>, transformers-5 <c>config.json</c> and <c>generation_config.json</c>,
/// <c>tokenizer.json</c> + <c>tokenizer_config.json</c> with <c>extra_special_tokens</c> and the chat template in
/// <c>chat_template.jinja</c>) and a LoRA run's PEFT adapter folder, each laid out as those libraries write them,
/// built here from a tiny model with the Phi-3-mini tokenizer.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class TrlOutputLoadingTests
{
    private const int PhiVocabulary = 32064;
    private static readonly long[] Tokens = [1, 32010, 450, 4996, 32007, 32001];

    [Fact]
    public void FromPretrained_TrlFullFineTuneFolder_LoadsShardsTokenizerTemplateAndGenerationConfig()
    {
        using var folder = new TemporaryFolder();
        using var original = WriteTrlModelFolder(folder.Path);

        using var loaded = CausalLanguageModel.FromPretrained(folder.Path);

        Assert.True(Directory.GetFiles(folder.Path, "model-*-of-*.safetensors").Length >= 2);
        CheckpointRoundTripTests.AssertBitwiseEqual(original, loaded.Model);
        Assert.Equal(File.ReadAllText(folder.File("chat_template.jinja")), loaded.Tokenizer.ChatTemplate);
        Assert.Equal("phi3", loaded.ChatTemplate.Name);

        // generation_config.json's eos_token_id list: <|endoftext|> and <|end|> both end an answer.
        Assert.Contains(32000, loaded.StopTokenIds);
        Assert.Contains(32007, loaded.StopTokenIds);

        // Its sampling defaults, as transformers reads them (do_sample: true; top_k unset is 50).
        Assert.Equal((0.6f, 0.9f, 50), (loaded.GenerationDefaults!.Temperature, loaded.GenerationDefaults.TopP, loaded.GenerationDefaults.TopK));

        // extra_special_tokens makes "</s>", a non-special added token in tokenizer.json, special.
        Assert.Equal([2], loaded.Tokenizer.EncodeMarkup("</s>"));
        Assert.Equal("Hi", loaded.Tokenizer.Decode([.. loaded.Tokenizer.Encode("Hi"), 2], skipSpecialTokens: true));
        Assert.Equal("Hi</s>", loaded.Tokenizer.Decode([.. loaded.Tokenizer.Encode("Hi"), 2]));
    }

    [Fact]
    public void FromPretrainedWithAdapter_PeftFolder_LogitsEqualBasePlusScaledLowRankUpdate()
    {
        using var folder = new TemporaryFolder();
        string baseFolder = Directory.CreateDirectory(folder.File("base")).FullName;
        string adapterFolder = Directory.CreateDirectory(folder.File("adapter")).FullName;
        using var original = WriteTrlModelFolder(baseFolder);
        Dictionary<string, (Tensor A, Tensor B)> lora = WritePeftAdapterFolder(adapterFolder, original.Config.HiddenSize, rank: 4, alpha: 32);

        using var expected = LlamaForCausalLM.FromPretrained(baseFolder);
        using (no_grad())
        {
            var parameters = expected.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
            foreach (var (module, (a, b)) in lora)
            {
                parameters[module + ".weight"].add_(b.matmul(a).mul(32.0 / 4));
            }
        }

        // Inference on both sides: a model whose weights record gradients and one whose weights are frozen take
        // different CPU kernels (float32 rounding apart), and "bit for bit" compares like with like.
        using var inference = no_grad();
        using var ids = TinyLlama.Ids(Tokens);
        using var expectedLogits = expected.Forward(ids);
        using var baseLogits = original.Forward(ids);
        using (var attached = CausalLanguageModel.FromPretrainedWithAdapter(baseFolder, adapterFolder))
        {
            using var logits = attached.Model.Forward(ids);
            Assert.True(TinyLlama.MaxAbsDifference(expectedLogits, logits) < 1e-4, $"attached adapter differs by {TinyLlama.MaxAbsDifference(expectedLogits, logits)}");
            Assert.NotNull(attached.Adapters);
            Assert.Equal(2 * 2, attached.Adapters.Count);
            Assert.True(TinyLlama.MaxAbsDifference(baseLogits, logits) > 1e-3);

            attached.Adapters.Enabled = false;
            using var disabled = attached.Model.Forward(ids);
            Assert.Equal(0f, TinyLlama.MaxAbsDifference(baseLogits, disabled));
            Assert.Equal("adapter", attached.ModelId);
        }

        using var merged = CausalLanguageModel.FromPretrainedWithAdapter(baseFolder, adapterFolder, merge: true);
        using var mergedLogits = merged.Model.Forward(ids);
        Assert.Null(merged.Adapters);
        Assert.True(TinyLlama.MaxAbsDifference(expectedLogits, mergedLogits) < 1e-4, $"merged adapter differs by {TinyLlama.MaxAbsDifference(expectedLogits, mergedLogits)}");
        foreach (var (a, b) in lora.Values)
        {
            a.Dispose();
            b.Dispose();
        }
    }

    [Fact]
    public void FromPretrainedWithAdapter_ModulesToSave_RefusesNamingField()
    {
        using var folder = new TemporaryFolder();
        string baseFolder = Directory.CreateDirectory(folder.File("base")).FullName;
        string adapterFolder = Directory.CreateDirectory(folder.File("adapter")).FullName;
        using var original = WriteTrlModelFolder(baseFolder);
        foreach (var (a, b) in WritePeftAdapterFolder(adapterFolder, original.Config.HiddenSize, rank: 4, alpha: 32, modulesToSave: ["lm_head"]).Values)
        {
            a.Dispose();
            b.Dispose();
        }

        var error = Assert.Throws<InvalidDataException>(() => CausalLanguageModel.FromPretrainedWithAdapter(baseFolder, adapterFolder));

        Assert.Contains("adapter_config.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("'modules_to_save'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Writes a model folder as TRL's trainer.save_model leaves it under transformers 5, and returns the model.</summary>
    private static LlamaForCausalLM WriteTrlModelFolder(string folder)
    {
        LlamaConfig config = TinyLlama.Config() with { VocabSize = PhiVocabulary, BosTokenId = 1, EosTokenIds = [32000] };
        var model = TinyLlama.Create(config);
        model.SavePretrained(folder, maxShardBytes: 3_000_000);

        // transformers 5's config.json: dtype (not torch_dtype), rope_parameters (not rope_theta), and the keys
        // Srt does not model, such as use_cache (TRL turns it off for gradient checkpointing).
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        double theta = json["rope_theta"]?.GetValue<double>() ?? json["rope_parameters"]!["rope_theta"]!.GetValue<double>();
        json.Remove("rope_theta");
        json.Remove("rope_scaling");
        json.Remove("torch_dtype");
        json["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = theta };
        json["dtype"] = "float32";
        json["architectures"] = new JsonArray("LlamaForCausalLM");
        json["use_cache"] = false;
        json["transformers_version"] = "5.0.0";
        File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString());

        // The index as transformers 5 writes it, with total_parameters beside total_size.
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, ShardIndex.FileName)))!.AsObject();
        index["metadata"]!["total_parameters"] = model.Parameters().Sum(p => p.numel());
        File.WriteAllText(Path.Combine(folder, ShardIndex.FileName), index.ToJsonString());

        File.WriteAllText(Path.Combine(folder, "generation_config.json"),
            """{"bos_token_id": 1, "do_sample": true, "eos_token_id": [32000, 32007], "pad_token_id": 32000, "temperature": 0.6, "top_p": 0.9, "transformers_version": "5.0.0"}""");

        string phi = TokenizerFixtures.Folder("phi-3-mini");
        File.Copy(Path.Combine(phi, ModelTokenizer.TokenizerJsonFileName), Path.Combine(folder, ModelTokenizer.TokenizerJsonFileName));
        string template = JsonNode.Parse(File.ReadAllText(Path.Combine(phi, "tokenizer_config.json")))!["chat_template"]!.GetValue<string>();
        File.WriteAllText(Path.Combine(folder, "chat_template.jinja"), template);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """
            {"add_bos_token": false, "add_eos_token": false, "backend": "tokenizers", "bos_token": "<s>",
             "clean_up_tokenization_spaces": false, "eos_token": "<|endoftext|>", "extra_special_tokens": ["</s>"],
             "is_local": true, "model_max_length": 4096, "pad_token": "<|endoftext|>", "padding_side": "left",
             "tokenizer_class": "TokenizersBackend", "unk_token": "<unk>"}
            """);
        return model;
    }

    /// <summary>Writes adapter_config.json with every field PEFT writes, and bf16 weights under PEFT's key names.</summary>
    private static Dictionary<string, (Tensor A, Tensor B)> WritePeftAdapterFolder(string folder, int hidden, int rank, int alpha, string[]? modulesToSave = null)
    {
        string modules = modulesToSave is null ? "null" : "[" + string.Join(", ", modulesToSave.Select(m => $"\"{m}\"")) + "]";
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), $$"""
            {"alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "../base", "bias": "none",
             "corda_config": null, "eva_config": null, "exclude_modules": null, "fan_in_fan_out": false,
             "inference_mode": true, "init_lora_weights": true, "layer_replication": null, "layers_pattern": null,
             "layers_to_transform": null, "loftq_config": {}, "lora_alpha": {{alpha}}, "lora_bias": false,
             "lora_dropout": 0.05, "megatron_config": null, "megatron_core": "megatron.core", "modules_to_save": {{modules}},
             "peft_type": "LORA", "qalora_group_size": 16, "r": {{rank}}, "rank_pattern": {}, "revision": null,
             "target_modules": ["v_proj", "q_proj"], "target_parameters": null, "task_type": "CAUSAL_LM",
             "trainable_token_indices": null, "use_dora": false, "use_qalora": false, "use_rslora": false}
            """);

        // The tiny model has 2 key/value heads of 8: v_proj is hidden → 16.
        var lora = new Dictionary<string, (Tensor A, Tensor B)>();
        var tensors = new List<(string, Tensor)>();
        var generator = new global::TorchSharp.torch.Generator(11);
        for (int layer = 0; layer < 2; layer++)
        {
            foreach (var (projection, outFeatures) in new[] { ("q_proj", hidden), ("v_proj", 16) })
            {
                string module = $"model.layers.{layer}.self_attn.{projection}";

                // Stored in bf16 as a bf16 run leaves them; the expected update uses the same rounded values.
                var a = randn([rank, hidden], generator: generator).mul(0.2).to(ScalarType.BFloat16);
                var b = randn([outFeatures, rank], generator: generator).mul(0.2).to(ScalarType.BFloat16);
                tensors.Add(($"base_model.model.{module}.lora_A.weight", a));
                tensors.Add(($"base_model.model.{module}.lora_B.weight", b));
                lora[module] = (a.to(ScalarType.Float32), b.to(ScalarType.Float32));
            }
        }

        SafetensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        foreach (var (_, tensor) in tensors)
        {
            tensor.Dispose();
        }

        generator.Dispose();
        return lora;
    }
}
