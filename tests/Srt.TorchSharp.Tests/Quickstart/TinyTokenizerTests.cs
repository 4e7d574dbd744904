using Srt.Samples;
using Srt.Samples.Quickstart;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Quickstart;

public sealed class TinyTokenizerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "srt-tiny-tokenizer-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Write_LoadedByModelTokenizer_RoundTripsASelfRefinementWithWholeWordTokens()
    {
        int vocabulary = TinyTokenizer.Write(_folder, QuickstartData.TokenizerCorpus);
        var tokenizer = ModelTokenizer.FromPretrained(_folder);
        string text = "<|im_start|>assistant\n23\n\n### Feedback\nWeaknesses:\n- 7+5=12, so the sum is 24, not 23.\nOverall Score: [[5]]<|im_end|>";

        IReadOnlyList<int> ids = tokenizer.EncodeMarkup(text);

        Assert.Equal(vocabulary, tokenizer.VocabularySize);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal(tokenizer.TokenToId("<|im_end|>"), ids[^1]);
        Assert.Single(tokenizer.Encode("Weaknesses"));
        Assert.Equal(3, tokenizer.Encode("123").Count); // digits stay one token each
        Assert.True(ids.Count < text.Length / 2, $"{ids.Count} tokens for {text.Length} characters");
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
