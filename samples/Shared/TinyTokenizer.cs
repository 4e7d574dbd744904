using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Srt.Samples;

/// <summary>
/// Writes a tiny model's tokenizer as Hugging Face files (<c>tokenizer.json</c>, <c>tokenizer_config.json</c>): a
/// byte-level BPE whose vocabulary is the 256 bytes plus whole-word merges for the words of a corpus (so "Weaknesses"
/// is one token while every digit stays its own), and the ChatML special tokens. The library loads it like any
/// downloaded tokenizer. Linked into each sample that writes its own model (samples/Shared).
/// </summary>
internal static partial class TinyTokenizer
{
    /// <summary>The ChatML and end-of-text special tokens.</summary>
    public static readonly string[] SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    /// <summary>Writes the tokenizer files into <paramref name="folder"/> and returns the vocabulary size.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="corpus">Text whose words (digits excepted) become single tokens; empty for one token per byte.</param>
    public static int Write(string folder, string corpus = "")
    {
        Directory.CreateDirectory(folder);
        char[] byteChars = ByteLevelChars();
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
        foreach (Match piece in PreTokenizer().Matches(corpus))
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

    /// <summary>GPT-2's printable stand-ins for the 256 byte values, as byte-level BPE vocabularies spell them.</summary>
    private static char[] ByteLevelChars()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            chars[b] = printable ? (char)b : (char)next++;
        }

        return chars;
    }

    // GPT-2's pre-tokenizer pattern, which the ByteLevel step applies: merges never cross these pieces.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex PreTokenizer();
}
