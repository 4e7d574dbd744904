using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Tokenizers;

public sealed class BpeMergerTests
{
    /// <summary>Words of 1 to 1,500 characters: random letters, periodic runs (where merges chain), and non-ASCII.</summary>
    private static IEnumerable<string> Words(int seed)
    {
        var random = new Random(seed);
        string[] symbols = [.. "abcdefghijklmnopqrstuvwxyzABCDEFGHIJéèüß中文字0123456789▁".Select(c => c.ToString()), "😀", "🦀"];
        for (var i = 0; i < 150; i++)
        {
            var length = i % 10 == 0 ? random.Next(200, 1500) : random.Next(1, 30);
            yield return string.Concat(Enumerable.Range(0, length).Select(_ => symbols[random.Next(symbols.Length)]));
        }
        foreach (var unit in new[] { "a", "ab", "abc", "the", "▁the", "ing" })
        {
            yield return string.Concat(Enumerable.Repeat(unit, 1200 / unit.Length));
        }
    }

    private static (BpeMerger Merger, BpeTokenizer Inner) Load(string fixture)
    {
        var path = Path.Combine(TokenizerFixtures.Folder(fixture), "tokenizer.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var model = document.RootElement.GetProperty("model");
        var vocabulary = model.GetProperty("vocab").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetInt32(), StringComparer.Ordinal);
        var merges = model.GetProperty("merges").EnumerateArray().Select(m => m.GetString()!).ToList();
        var unknown = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String ? unk.GetString() : null;
        var fuse = model.TryGetProperty("fuse_unk", out var f) && f.ValueKind == JsonValueKind.True;
        var inner = (BpeTokenizer)TokenizerFixtures.Load(fixture, TokenizerFileKind.HuggingFaceJson).Inner;
        return (new BpeMerger(vocabulary, merges, unknown, fuse), inner);
    }

    [Theory]
    [InlineData(TokenizerFixtures.Mistral7B, false)]
    [InlineData(TokenizerFixtures.Phi3Mini, false)]
    [InlineData(TokenizerFixtures.Phi2, true)]
    [InlineData(TokenizerFixtures.Olmo2, true)]
    public void Encode_WordsUpTo1500Characters_EqualMicrosoftMlBpe(string fixture, bool byteLevel)
    {
        var (merger, inner) = Load(fixture);
        foreach (var word in Words(seed: fixture.Length))
        {
            var expected = inner.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false);
            var actual = new List<int>();
            merger.Encode(byteLevel ? ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(word)) : word, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(TokenizerFixtures.Mistral7B, TokenizerFileKind.HuggingFaceJson)]
    [InlineData(TokenizerFixtures.Mistral7B, TokenizerFileKind.SentencePieceModel)]
    [InlineData(TokenizerFixtures.Phi3Mini, TokenizerFileKind.HuggingFaceJson)]
    [InlineData(TokenizerFixtures.Phi2, TokenizerFileKind.HuggingFaceJson)]
    [InlineData(TokenizerFixtures.Olmo2, TokenizerFileKind.HuggingFaceJson)]
    public void Encode_OneMegabyteUnsplitWord_EncodesAndDecodesBack(string fixture, TokenizerFileKind kind)
    {
        // Quadratic merging took minutes here; near-linear merging takes about a second per codec.
        var tokenizer = TokenizerFixtures.Load(fixture, kind);
        var word = string.Concat(Enumerable.Repeat("abcdefghij", 100_000));

        var ids = tokenizer.Encode(word);

        Assert.InRange(ids.Count, 100_000, 1_000_000);
        Assert.Equal(word, tokenizer.Decode(ids).TrimStart());
    }
}
