using System.Text.Json;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Generation;

/// <summary>
/// A tiny chat model for generation tests: a byte-level tokenizer whose ids 0..255 are the bytes themselves (no merges,
/// so every id is plain to see), ChatML special tokens, and a random 2-layer Llama (hidden 32) with a matching
/// vocabulary of 259. Weights use std 0.2 so the logits are peaked and greedy choices are far from ties.
/// </summary>
internal static class TinyChatModel
{
    public const int EndOfText = 256;
    public const int ImStart = 257;
    public const int ImEnd = 258;
    public const int VocabularySize = 259;

    private static readonly Lazy<string> TokenizerFolder = new(WriteTokenizer);

    public static ModelTokenizer LoadTokenizer() => ModelTokenizer.FromPretrained(TokenizerFolder.Value);

    public static LlamaConfig Config() => TinyLlama.Config() with { VocabSize = VocabularySize, MaxPositionEmbeddings = 512, EosTokenIds = [ImEnd] };

    public static LlamaForCausalLM CreateModel(ScalarType dtype = ScalarType.Float32, long seed = 11) => TinyLlama.Create(Config(), dtype, seed);

    public static CausalLanguageModel Create(long seed = 11) =>
        new(CreateModel(seed: seed), LoadTokenizer(), Srt.TorchSharp.ChatTemplates.ChatTemplate.Get("chatml"), "tiny-chat");

    /// <summary>Writes the tokenizer files into <paramref name="folder"/> (next to a saved model, for FromPretrained).</summary>
    public static void WriteTokenizerFiles(string folder)
    {
        var vocabulary = new Dictionary<string, int>();
        for (var b = 0; b < 256; b++)
        {
            vocabulary[ByteLevelAlphabet.Encode([(byte)b])] = b;
        }
        var added = new[] { ("<|endoftext|>", EndOfText), ("<|im_start|>", ImStart), ("<|im_end|>", ImEnd) }
            .Select(t => new { id = t.Item2, content = t.Item1, special = true, single_word = false, lstrip = false, rstrip = false, normalized = false });
        var tokenizer = new
        {
            version = "1.0",
            added_tokens = added,
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            post_processor = (object?)null,
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab = vocabulary, merges = Array.Empty<string>() },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(tokenizer));
        var config = new
        {
            eos_token = "<|im_end|>",
            pad_token = "<|endoftext|>",
            chat_template = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}",
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(config));
    }

    private static string WriteTokenizer()
    {
        // Next to the test assembly (rewritten each run), so no temp folder is left behind.
        var folder = Path.Combine(AppContext.BaseDirectory, "generation-tokenizer");
        Directory.CreateDirectory(folder);
        WriteTokenizerFiles(folder);
        return folder;
    }

    /// <summary>The ids of ASCII text in this tokenizer (its bytes).</summary>
    public static IReadOnlyList<int> Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
}
