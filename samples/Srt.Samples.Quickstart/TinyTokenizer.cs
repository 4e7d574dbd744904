using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Srt.Samples.Quickstart;

/// <summary>
/// Writes the quickstart model's tokenizer as Hugging Face files (<c>tokenizer.json</c>, <c>tokenizer_config.json</c>):
/// a byte-level BPE whose vocabulary is the 256 bytes plus whole-word merges for the words of the task's prompts and
/// critiques (so "Weaknesses" is one token while every digit stays its own), and the ChatML special tokens.
/// The library loads it like any downloaded tokenizer.
/// </summary>
internal static partial class TinyTokenizer
{
    /// <summary>The ChatML and end-of-text special tokens.</summary>
    public static readonly string[] SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    // Text the model reads and writes; its words become single tokens.
    private const string Corpus =
        "user assistant system Add Check so the sum is as given, not no number was given Keep the answer. Add one number at a time.\n" +
        "Weaknesses:\nSuggestions:\nOverall Score: [[10]]\n\n### Feedback\n\n### Improved Response\n\n### Refinement Score\n";

    /// <summary>Writes the tokenizer files into <paramref name="folder"/> and returns the vocabulary size.</summary>
    public static int Write(string folder)
    {
        Directory.CreateDirectory(folder);
        char[] byteChars = ByteLevelAlphabet.Characters();
        var vocabulary = new JsonObject();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        void AddToken(string token)
        {
            if (ids.TryAdd(token, ids.Count))
            {
                vocabulary[token] = ids[token];
            }
        }

        for (int b = 0; b < 256; b++)
        {
            AddToken(byteChars[b].ToString());
        }

        var merges = new JsonArray();
        var seenMerges = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match piece in PreTokenizer().Matches(Corpus))
        {
            string mapped = string.Concat(Encoding.UTF8.GetBytes(piece.Value).Select(b => byteChars[b]));
            if (mapped.Length < 2 || piece.Value.Any(char.IsDigit))
            {
                continue;
            }

            // A chain of merges builds the word left to right: "W e", "We a", "Wea k", ...
            for (int end = 2; end <= mapped.Length; end++)
            {
                string merge = $"{mapped[..(end - 1)]} {mapped[end - 1]}";
                if (seenMerges.Add(merge))
                {
                    merges.Add(merge);
                    AddToken(mapped[..end]);
                }
            }
        }

        var added = new JsonArray();
        foreach (string special in SpecialTokens)
        {
            AddToken(special);
            added.Add(new JsonObject
            {
                ["id"] = ids[special], ["content"] = special, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }

        foreach (string special in SpecialTokens)
        {
            vocabulary.Remove(special); // added tokens live in added_tokens only
        }

        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocabulary, ["merges"] = merges,
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = null,
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["add_bos_token"] = false,
            ["add_eos_token"] = false,
            ["model_max_length"] = 512,
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
        return ids.Count;
    }

    // GPT-2's pre-tokenizer pattern, which the ByteLevel step applies: merges never cross these pieces.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex PreTokenizer();
}
