using System.Text.Json.Nodes;

namespace Srt.Benchmarks.Training;

/// <summary>Writes a character-level byte-level BPE tokenizer.json with ChatML tokens (ids below 99), so that a
/// synthetic example of n letters is exactly n tokens.</summary>
internal static class CharacterTokenizerFiles
{
    public static string Write()
    {
        var vocab = new JsonObject();
        for (char c = '!'; c <= '~'; c++)
        {
            vocab[c.ToString()] = c - '!';
        }
        vocab["Ġ"] = 94;
        vocab["Ċ"] = 95;
        var added = new JsonArray();
        foreach (var (id, content) in new[] { (96, "<|endoftext|>"), (97, "<|im_start|>"), (98, "<|im_end|>") })
        {
            added.Add(new JsonObject { ["id"] = id, ["content"] = content, ["special"] = true });
        }
        var json = new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["post_processor"] = null,
            ["pre_tokenizer"] = JsonNode.Parse("""
                { "type": "Sequence", "pretokenizers": [
                  { "type": "Split", "pattern": { "Regex": " ?[^\\s]+|\\s+" }, "behavior": "Isolated", "invert": false },
                  { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false } ] }
                """),
            ["decoder"] = JsonNode.Parse("""{ "type": "ByteLevel" }"""),
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
        };
        string folder = Directory.CreateTempSubdirectory("srt-train-bench-").FullName;
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{ "eos_token": "<|im_end|>", "add_bos_token": false }""");
        return folder;
    }
}
