using Srt.TorchSharp.Loading.Tokenizers;
using static Srt.TorchSharp.Tests.Tokenizers.TokenizerFixtures;

namespace Srt.TorchSharp.Tests.Tokenizers;

public sealed class StreamingTextDecoderTests
{
    [Theory]
    [InlineData(Olmo2, null)]
    [InlineData(Phi2, null)]
    [InlineData(Mistral7B, TokenizerFileKind.SentencePieceModel)]
    [InlineData(Mistral7B, null)]
    [InlineData(Phi3Mini, null)]
    public void Append_EmojiSplitAcrossByteTokens_PiecesJoinToFullDecode(string fixture, TokenizerFileKind? kind)
    {
        var tokenizer = Load(fixture, kind);
        var ids = tokenizer.Encode("Hi 😀👍🏽 family 👨‍👩‍👧 ok");
        var decoder = tokenizer.CreateStreamingDecoder(skipSpecialTokens: false);
        var pieces = ids.Select(decoder.Append).ToList();
        pieces.Add(decoder.Flush());

        Assert.Equal(tokenizer.Decode(ids), string.Concat(pieces));
        Assert.Equal(tokenizer.Decode(ids), decoder.Text);
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        Assert.Contains(pieces, p => p.Length == 0); // some token ended mid-character and was held back
    }

    [Fact]
    public void Append_SentencePieceFirstToken_DropsDummyPrefixSpaceOnce()
    {
        var decoder = Load(Mistral7B, TokenizerFileKind.SentencePieceModel).CreateStreamingDecoder();
        Assert.Equal("", decoder.Append(1)); // <s> skipped
        Assert.Equal("Hello", decoder.Append(22557));
        Assert.Equal(" Hello", decoder.Append(22557));
    }

    [Fact]
    public void Flush_CutOffCharacter_GivesReplacementCharacter()
    {
        var tokenizer = Load(Mistral7B, TokenizerFileKind.SentencePieceModel);
        var decoder = tokenizer.CreateStreamingDecoder();
        Assert.Equal("", decoder.Append(243)); // <0xF0>: first byte of a 4-byte character
        Assert.Equal("", decoder.Append(162)); // <0x9F>
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Theory]
    [InlineData(new byte[] { 0x41 }, 1)]
    [InlineData(new byte[] { 0x41, 0xF0 }, 1)]
    [InlineData(new byte[] { 0x41, 0xF0, 0x9F, 0x98 }, 1)]
    [InlineData(new byte[] { 0x41, 0xF0, 0x9F, 0x98, 0x80 }, 5)]
    [InlineData(new byte[] { 0xC3, 0xA9 }, 2)]
    [InlineData(new byte[] { 0xC3 }, 0)]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80 }, 4)] // stray continuation bytes: nothing to wait for
    public void CompletePrefixLength_HoldsBackOnlyUnfinishedSequences(byte[] bytes, int expected) =>
        Assert.Equal(expected, StreamingTextDecoder.CompletePrefixLength(bytes));
}
