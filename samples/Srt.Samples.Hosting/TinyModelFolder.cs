using System.Text.Json.Nodes;
using Srt.TorchSharp.Modeling;

namespace Srt.Samples.Hosting;

/// <summary>
/// Writes a tiny Llama with random weights as a Hugging Face folder (config.json, safetensors, tokenizer files), so
/// the sample runs the real TorchSharp policy and trainer with no download. Its tokenizer is byte-level BPE with no
/// merges (one token per byte, any text encodes) plus the ChatML special tokens. A random model writes noise: this
/// shows the wiring, not the method's effect.
/// </summary>
internal static class TinyModelFolder
{
    /// <summary>The chat template the tiny model is used with.</summary>
    public const string ChatTemplateName = "chatml";

    private static readonly string[] SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    /// <summary>Writes the model into <paramref name="folder"/> unless a model is already there.</summary>
    /// <returns>Whether a model was written.</returns>
    public static bool EnsureExists(string folder)
    {
        if (File.Exists(Path.Combine(folder, "config.json")))
        {
            return false;
        }

        // Written under a temporary name and renamed when complete, so an interrupted first run never leaves half a
        // model that the next run would trust.
        string partial = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        var config = new LlamaConfig
        {
            VocabSize = 256 + SpecialTokens.Length,
            HiddenSize = 64,
            IntermediateSize = 128,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 2048,
            EosTokenIds = [256 + 2],
        };
        using (var model = LlamaForCausalLM.Create(config, seed: 7))
        {
            model.SavePretrained(partial);
        }

        WriteTokenizer(partial);
        Directory.Move(partial, folder);
        return true;
    }

    private static void WriteTokenizer(string folder)
    {
        var vocabulary = new JsonObject();
        char[] byteChars = ByteLevelAlphabet.Characters();
        for (int b = 0; b < 256; b++)
        {
            vocabulary[byteChars[b].ToString()] = b;
        }

        var added = new JsonArray();
        for (int i = 0; i < SpecialTokens.Length; i++)
        {
            added.Add(new JsonObject { ["id"] = 256 + i, ["content"] = SpecialTokens[i], ["special"] = true, ["normalized"] = false });
        }

        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocabulary, ["merges"] = new JsonArray() },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
        File.WriteAllText(
            Path.Combine(folder, "tokenizer_config.json"),
            """{ "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "add_bos_token": false, "add_eos_token": false }""");
    }
}
