using Srt.TorchSharp.Loading.Tokenizers;
using static Srt.TorchSharp.Tests.Tokenizers.TokenizerFixtures;

namespace Srt.TorchSharp.Tests.Tokenizers;

public sealed class ModelTokenizerTests
{
    private const string Tricky = "  Leading spaces, emoji 😀👍🏽 👨‍👩‍👧, café naïve 日本語,\nnew\n\nlines\ttabs   and    runs, ﬁ Ａ 𝐀 — end ";

    [Fact]
    public void FromPretrained_FolderWithBothFiles_PrefersTokenizerJson()
    {
        Assert.Equal(TokenizerFileKind.HuggingFaceJson, Load(Mistral7B).FileKind);
        Assert.Equal(TokenizerFileKind.SentencePieceModel, Load(Mistral7B, TokenizerFileKind.SentencePieceModel).FileKind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(TokenizerFileKind.SentencePieceModel)]
    public void Encode_HelloWithSpecialTokens_IsBosThenHello(TokenizerFileKind? kind)
    {
        // Llama 2 / Mistral vocabulary: <s> = 1, "▁Hello" = 22557 (checked in tokenizer.json's vocab).
        var tokenizer = Load(Mistral7B, kind);
        Assert.Equal([1, 22557], tokenizer.Encode("Hello", addSpecialTokens: true));
        Assert.Equal([22557], tokenizer.Encode("Hello"));
        Assert.Equal("Hello", tokenizer.Decode([1, 22557], skipSpecialTokens: true));
        Assert.Equal("<s> Hello", tokenizer.Decode([1, 22557]));
    }

    [Fact]
    public void FromPretrained_Mistral7B_ReadsBosEosFromConfig()
    {
        var tokenizer = Load(Mistral7B);
        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal(new HashSet<int> { 2 }, tokenizer.EosTokenIds);
        Assert.True(tokenizer.AddBosToken);
        Assert.False(tokenizer.AddEosToken);
        Assert.Null(tokenizer.PadTokenId);
        Assert.Equal(32000, tokenizer.VocabularySize);
        Assert.Null(tokenizer.ChatTemplate);
    }

    [Fact]
    public void FromPretrained_Phi3Mini_ReadsConfigAndChatTemplate()
    {
        var tokenizer = Load(Phi3Mini);
        Assert.False(tokenizer.AddBosToken);
        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal("<|endoftext|>", tokenizer.EosToken);
        Assert.Equal(new HashSet<int> { 32000 }, tokenizer.EosTokenIds);
        Assert.Equal(32000, tokenizer.PadTokenId);
        Assert.Equal(32011, tokenizer.VocabularySize);
        Assert.Contains("<|assistant|>", tokenizer.ChatTemplate);
        Assert.Equal([15043], tokenizer.Encode("Hello", addSpecialTokens: true));
    }

    [Fact]
    public void FromPretrained_Phi2_ReadsEndOfTextAsBosAndEos()
    {
        var tokenizer = Load(Phi2);
        Assert.Equal(50256, tokenizer.BosTokenId);
        Assert.Equal(new HashSet<int> { 50256 }, tokenizer.EosTokenIds);
        Assert.False(tokenizer.AddBosToken); // the ByteLevel post-processor adds nothing
        Assert.Equal(50295, tokenizer.VocabularySize);
    }

    [Theory]
    [InlineData(Olmo2, "<|im_end|>", 100265)]
    [InlineData(Olmo2, "<|im_start|>", 100264)]
    [InlineData(Olmo2, "<|pad|>", 100277)]
    [InlineData(Phi2, "<|endoftext|>", 50256)]
    [InlineData(Phi3Mini, "<|assistant|>", 32001)]
    [InlineData(MistralV3, "[INST]", 3)]
    [InlineData(MistralV3, "[/INST]", 4)]
    public void Encode_SpecialTokenText_IsOneId(string fixture, string token, int id)
    {
        var tokenizer = Load(fixture);
        Assert.Equal([id], tokenizer.EncodeMarkup(token));
        Assert.Equal(id, tokenizer.TokenToId(token));
        Assert.Equal(token, tokenizer.Decode([id]));
    }

    [Fact]
    public void Encode_SentencePieceUserDefinedPiece_IsOneIdAfterTheDummyPrefix()
    {
        // USER_DEFINED pieces are cut out inside SentencePiece's segmentation, after the "▁" (29473) it prepends.
        var tokenizer = Load(MistralV3);
        Assert.Equal([29473, 770], tokenizer.Encode("[REFERENCE_DOC_0]"));
        Assert.Equal([770], tokenizer.EncodeContinuation("[REFERENCE_DOC_0]"));
        Assert.Equal(770, tokenizer.TokenToId("[REFERENCE_DOC_0]"));
        Assert.Equal("[REFERENCE_DOC_0]", tokenizer.Decode([770]));
    }

    [Fact]
    public void Encode_SpecialTokenInsideText_IsKeptWholeBetweenWords()
    {
        var tokenizer = Load(Olmo2);
        var ids = tokenizer.EncodeMarkup("Hello<|im_end|>Hello");
        Assert.Equal([9906, 100265, 9906], ids); // "Hello" = 9906 in cl100k
    }

    [Fact]
    public void Decode_SkipSpecialTokens_DropsSpecialButKeepsNonSpecialAddedTokens()
    {
        var tokenizer = Load(Olmo2);
        var ids = tokenizer.EncodeMarkup("<|im_start|>Hello<|extra_id_0|><|im_end|>");
        Assert.Equal("Hello<|extra_id_0|>", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<|im_start|>Hello<|extra_id_0|><|im_end|>", tokenizer.Decode(ids));
    }

    [Theory]
    [InlineData(Phi2, null)]
    [InlineData(Olmo2, null)]
    [InlineData(Mistral7B, TokenizerFileKind.SentencePieceModel)]
    [InlineData(MistralV3, null)]
    public void Decode_TrickyText_RoundTripsExactly(string fixture, TokenizerFileKind? kind)
    {
        var tokenizer = Load(fixture, kind);
        Assert.Equal(Tricky, tokenizer.Decode(tokenizer.Encode(Tricky)));
    }

    [Theory]
    [InlineData(Mistral7B)]
    [InlineData(Phi3Mini)]
    public void Decode_TrickyTextOnSentencePieceStyleJson_LosesOnlyTheFirstSpace(string fixture)
    {
        // Hugging Face's Metaspace/Strip decoders drop the first token's leading space: " x" decodes to "x"
        // when the text itself started with a space (Phi-3 prepends "▁" even then and keeps one).
        var tokenizer = Load(fixture);
        string decoded = tokenizer.Decode(tokenizer.Encode(Tricky));
        Assert.Equal(fixture == Phi3Mini ? Tricky : Tricky[1..], decoded);
    }

    [Fact]
    public void Encode_SentencePieceModel_ControlTokensMatchedAndTextAfterThemHasNoDummyPrefix()
    {
        // mistral-common v3 encodes "[INST]" + sp("Hi") + "[/INST]": [3, "▁Hi" = 16127, 4].
        var tokenizer = Load(MistralV3);
        Assert.Equal([1, 3, 16127, 4], tokenizer.EncodeMarkup("[INST] Hi[/INST]", addSpecialTokens: true));
        Assert.Equal([3, 16998, 4], tokenizer.EncodeMarkup("[INST]Hello[/INST]")); // "Hello" = 16998, no "▁"
    }

    [Fact]
    public void EncodeContinuation_SentencePiece_AddsNoDummyPrefix()
    {
        var tokenizer = Load(Mistral7B, TokenizerFileKind.SentencePieceModel);
        Assert.Equal([16230], tokenizer.EncodeContinuation("Hello")); // "Hello" without "▁"
        Assert.Equal([22557], tokenizer.EncodeContinuation(" Hello")); // "▁Hello"
        Assert.Equal([22557], tokenizer.EncodeContinuation(" Hello", "prompt"));
    }

    [Fact]
    public void EncodeContinuation_AfterRstripAddedToken_PrependsAndSwallowsWhitespace()
    {
        // Phi-3: <|assistant|> has rstrip and the legacy normalizer prepends "▁" after every added token.
        var tokenizer = Load(Phi3Mini);
        var completion = SegmentedText.Content("Hello").AppendMarkup("<|end|>");
        var prompt = SegmentedText.Markup("<|assistant|>\n");
        Assert.Equal([15043, 32007], tokenizer.EncodeContinuationSegmented(completion, prompt));
        Assert.Equal(tokenizer.EncodeMarkup("<|assistant|>\nHello<|end|>").Skip(1), tokenizer.EncodeContinuationSegmented(completion, prompt));
    }

    [Fact]
    public void IdToToken_KnownIds_GivesModelSpelling()
    {
        Assert.Equal("▁Hello", Load(Mistral7B).IdToToken(22557));
        Assert.Equal("ĠHello", Load(Olmo2).IdToToken(22691));
        Assert.Equal("<|im_end|>", Load(Olmo2).IdToToken(100265));
        Assert.Null(Load(Olmo2).IdToToken(-1));
    }

    [Fact]
    public void Inner_IsTheMlTokenizersTokenizer()
    {
        Assert.IsType<Microsoft.ML.Tokenizers.LlamaTokenizer>(Load(MistralV3).Inner);
        Assert.IsType<Microsoft.ML.Tokenizers.BpeTokenizer>(Load(Olmo2).Inner);
    }
}
