using System.Text.Json;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.Benchmarks.Generation;

/// <summary>
/// A byte-level tokenizer.json with a full 32,000-entry vocabulary (256 bytes + short ASCII pieces), so a random
/// model's every id decodes as it would with a real tokenizer; written to a temp folder and loaded normally.
/// </summary>
internal static class SyntheticTokenizer
{
    public static ModelTokenizer Create(int vocabularySize)
    {
        var vocabulary = new Dictionary<string, int>();
        for (var b = 0; b < 256; b++)
        {
            vocabulary[ByteLevel((byte)b)] = b;
        }
        for (var id = 256; id < vocabularySize; id++)
        {
            vocabulary[ByteLevel((byte)' ') + "w" + id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = id;
        }
        var json = JsonSerializer.Serialize(new
        {
            version = "1.0",
            added_tokens = Array.Empty<object>(),
            normalizer = (object?)null,
            post_processor = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab = vocabulary, merges = Array.Empty<string>() },
        });
        var folder = Directory.CreateTempSubdirectory("srt-bench-tokenizer-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "tokenizer.json"), json);
            return ModelTokenizer.FromPretrained(folder.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    // GPT-2's byte-to-character table: printable Latin-1 keeps its character, the rest shift to 256 + n.
    private static string ByteLevel(byte value)
    {
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (b == value)
            {
                return ((char)(printable ? b : 256 + shifted)).ToString();
            }
            shifted += printable ? 0 : 1;
        }
        throw new InvalidOperationException();
    }
}
