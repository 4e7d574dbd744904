using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Tests.Tokenizers;

namespace Srt.TorchSharp.Tests.Generation;

/// <summary>Generation decoded by a real tokenizer (Phi-2's byte-level BPE, ~50K ids) over a tiny random model.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class RealTokenizerGenerationTests
{
    [Fact]
    public void Generate_Phi2Tokenizer_StreamedPiecesEqualTextAndTextEqualsDecodedIds()
    {
        var tokenizer = TokenizerFixtures.Load(TokenizerFixtures.Phi2);
        using var model = TinyLlama.Create(TinyLlama.Config() with { VocabSize = tokenizer.VocabularySize, MaxPositionEmbeddings = 256 });
        var generator = new TextGenerator(model, tokenizer, stopTokenIds: []);
        var prompt = tokenizer.Encode("Self-refinement tuning teaches a model to");
        var pieces = new List<string>();
        var result = generator.Generate([prompt], new GenerationOptions { Temperature = 1f, TopK = 50, MaxNewTokens = 24, Seed = 3 },
            update => pieces.Add(update.Text)).Sequences[0];
        Assert.Equal(24, result.CompletionTokens);
        Assert.Equal(CompletionFinishReason.Length, result.FinishReason);
        Assert.Equal(tokenizer.Decode(result.TokenIds, skipSpecialTokens: true), result.Text);
        Assert.Equal(result.Text, string.Concat(pieces));
        Assert.True(result.Text.Length > 24, "real BPE tokens decode to several characters each");
    }
}
