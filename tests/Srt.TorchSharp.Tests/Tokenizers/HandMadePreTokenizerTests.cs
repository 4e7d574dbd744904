using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Tokenizers;

/// <summary>Pre-tokenizer variants the fixtures do not cover, on tiny hand-written tokenizer.json files.</summary>
public sealed class HandMadePreTokenizerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("srt-tokpre-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private ModelTokenizer Write(string preTokenizer, string vocab, string merges)
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), $$"""
            {
              "added_tokens": [ { "id": 9, "content": "<|x|>", "special": true } ],
              "normalizer": null,
              "pre_tokenizer": {{preTokenizer}},
              "decoder": null,
              "model": { "type": "BPE", "unk_token": "<unk>", "vocab": {{vocab}}, "merges": {{merges}} }
            }
            """);
        return ModelTokenizer.FromPretrained(_folder);
    }

    private const string MetaspaceVocab = """{ "<unk>": 0, "▁": 1, "a": 2, "▁a": 3, "▁▁": 4 }""";
    private const string MetaspaceMerges = """[ "▁ ▁", "▁ a" ]""";

    [Theory]
    [InlineData(true, new[] { 1, 3 })]  // "▁" | "▁a": the split keeps "▁▁" from forming
    [InlineData(false, new[] { 4, 2 })] // one word: "▁ ▁" has rank 0 and wins
    public void Encode_MetaspaceSplit_DecidesWhetherWordsMergeAcrossSpaces(bool split, int[] expected)
    {
        var tokenizer = Write(
            $$"""{ "type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": {{(split ? "true" : "false")}} }""",
            MetaspaceVocab, MetaspaceMerges);
        Assert.Equal(expected, tokenizer.Encode("  a"));
    }

    [Fact]
    public void Encode_MetaspaceAlways_PrependsAfterAddedTokensToo()
    {
        var tokenizer = Write("""{ "type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true }""", MetaspaceVocab, MetaspaceMerges);
        Assert.Equal([3, 9, 3], tokenizer.EncodeMarkup("a<|x|>a"));
        Assert.Equal([2], tokenizer.EncodeContinuation("a"));
    }

    [Fact]
    public void Encode_ByteLevelAddPrefixSpace_PrefixesEverySection()
    {
        var tokenizer = Write(
            """{ "type": "ByteLevel", "add_prefix_space": true, "use_regex": true }""",
            """{ "<unk>": 0, "Ġ": 1, "a": 2, "Ġa": 3, "b": 4, "Ġb": 5 }""",
            """[ ["Ġ", "a"], ["Ġ", "b"] ]""");
        Assert.Equal([3, 5], tokenizer.Encode("a b"));
        Assert.Equal([3, 9, 5], tokenizer.EncodeMarkup("a<|x|>b"));
        Assert.Equal([2], tokenizer.EncodeContinuation("a"));
        Assert.Equal(" a b", tokenizer.Decode([3, 5]));
    }

    [Fact]
    public void FromPretrained_UnsupportedPreTokenizer_NamesTypeAndFile()
    {
        var error = Assert.Throws<NotSupportedException>(() => Write("""{ "type": "BertPreTokenizer" }""", MetaspaceVocab, "[]"));
        Assert.Contains("BertPreTokenizer", error.Message);
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void FromPretrained_UnsupportedSplitBehavior_SaysSo()
    {
        string preTokenizer = """
            { "type": "Sequence", "pretokenizers": [
              { "type": "Split", "pattern": { "Regex": "\\s+" }, "behavior": "MergedWithPrevious", "invert": false },
              { "type": "ByteLevel", "add_prefix_space": false, "use_regex": false } ] }
            """;
        var error = Assert.Throws<NotSupportedException>(() => Write(preTokenizer, MetaspaceVocab, "[]"));
        Assert.Contains("MergedWithPrevious", error.Message);
    }
}
