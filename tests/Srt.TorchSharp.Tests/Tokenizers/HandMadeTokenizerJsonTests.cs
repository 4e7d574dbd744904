using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Tokenizers;

/// <summary>The tokenizer.json converter on tiny hand-written files, where every expected id is plain to see.</summary>
public sealed class HandMadeTokenizerJsonTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("srt-tokjson-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Byte-level vocabulary: "Ġ" is the space byte, "Ã©" the UTF-8 bytes of "é"; merges written as [a, b] arrays.
    private ModelTokenizer Write(bool ignoreMerges, string normalizer = "null", string postProcessor = "null", string? config = null)
    {
        string json = $$"""
        {
          "added_tokens": [ { "id": 8, "content": "<|bos|>", "special": true }, { "id": 9, "content": "<|x|>", "special": false, "lstrip": true } ],
          "normalizer": {{normalizer}},
          "pre_tokenizer": { "type": "Sequence", "pretokenizers": [
            { "type": "Split", "pattern": { "Regex": " ?\\p{L}+|\\s+" }, "behavior": "Isolated", "invert": false },
            { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false } ] },
          "post_processor": {{postProcessor}},
          "decoder": { "type": "ByteLevel" },
          "model": { "type": "BPE", "ignore_merges": {{(ignoreMerges ? "true" : "false")}},
            "vocab": { "a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "Ġ": 5, "Ġa": 6, "Ã©": 7, "Ã": 10, "©": 11 },
            "merges": [ ["a", "b"], ["Ġ", "a"], ["Ã", "©"] ] }
        }
        """;
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), json);
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"), config);
        }

        return ModelTokenizer.FromPretrained(_folder);
    }

    [Fact]
    public void FromPretrained_ByteOrderMarkAndNoNormalizerKey_LoadsAsHuggingFaceDoes()
    {
        Write(ignoreMerges: false);
        string path = Path.Combine(_folder, "tokenizer.json");
        string json = File.ReadAllText(path).Replace("\"normalizer\": null,", string.Empty, StringComparison.Ordinal);
        Assert.DoesNotContain("normalizer", json, StringComparison.Ordinal);
        File.WriteAllText(path, json, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal((byte)0xEF, File.ReadAllBytes(path)[0]);

        var tokenizer = ModelTokenizer.FromPretrained(_folder);

        Assert.Equal([5, 3, 2], tokenizer.Encode(" abc"));
    }

    [Fact]
    public void Encode_MergesInRankOrder_GivesMergedPieces()
    {
        var tokenizer = Write(ignoreMerges: false);
        Assert.Equal([3, 2], tokenizer.Encode("abc"));       // a b → ab; "abc" is never merged to
        Assert.Equal([5, 3, 2], tokenizer.Encode(" abc"));   // a b (rank 0) wins over Ġ a (rank 1)
        Assert.Equal([6, 6], tokenizer.Encode(" a a"));      // split into " a", " a"
    }

    [Fact]
    public void Encode_IgnoreMerges_TakesWholeWordFromVocabulary()
    {
        var tokenizer = Write(ignoreMerges: true);
        Assert.Equal([4], tokenizer.Encode("abc"));
        Assert.Equal([5, 3, 2], tokenizer.Encode(" abc")); // "Ġabc" is not in the vocabulary: merges apply
    }

    [Fact]
    public void Encode_NfcNormalizer_ComposesBeforeLookup()
    {
        Assert.Equal([7], Write(false, normalizer: """{ "type": "NFC" }""").Encode("e\u0301"));
        Assert.Equal([7], Write(false).Encode("\u00e9")); // "é" is C3 A9, spelled "Ã©"
    }

    [Fact]
    public void Encode_TemplatePostProcessor_AddsBosWithSpecialTokens()
    {
        var tokenizer = Write(false, postProcessor: """
            { "type": "TemplateProcessing", "single": [ { "SpecialToken": { "id": "<|bos|>", "type_id": 0 } }, { "Sequence": { "id": "A", "type_id": 0 } } ] }
            """);
        Assert.Equal(8, tokenizer.BosTokenId);
        Assert.True(tokenizer.AddBosToken);
        Assert.Equal([8, 3, 2], tokenizer.Encode("abc", addSpecialTokens: true));
        Assert.Equal([3, 2], tokenizer.Encode("abc"));
    }

    [Fact]
    public void Encode_ConfigSaysNoBos_OverridesPostProcessor()
    {
        var tokenizer = Write(false,
            postProcessor: """{ "type": "TemplateProcessing", "single": [ { "SpecialToken": { "id": "<|bos|>" } }, { "Sequence": { "id": "A" } } ] }""",
            config: """{ "add_bos_token": false, "bos_token": "<|bos|>" }""");
        Assert.Equal([3, 2], tokenizer.Encode("abc", addSpecialTokens: true));
    }

    [Fact]
    public void Encode_LstripAddedToken_SwallowsSpaceBeforeIt()
    {
        var tokenizer = Write(false);
        Assert.Equal([3, 9, 3], tokenizer.Encode("ab <|x|>ab"));
        Assert.Equal("ab<|x|>ab", tokenizer.Decode([3, 9, 3], skipSpecialTokens: true)); // not special: kept
        Assert.Equal("ab", tokenizer.Decode([8, 3], skipSpecialTokens: true));
    }
}
