using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Loading.Tokenizers;
using static Srt.TorchSharp.Tests.Tokenizers.TokenizerFixtures;

namespace Srt.TorchSharp.Tests.ChatTemplates;

/// <summary>
/// Chat prompts and completions as ids on real tokenizers. Every expected id is written out by hand from the
/// format definition and a lookup in the fixture's vocabulary (tokenizer.json "vocab" / SentencePiece pieces).
/// </summary>
public sealed class ChatTemplateTokenIdTests
{
    private static readonly ChatMessage[] SayHi = [new(ChatRole.User, "Hi")];

    [Fact]
    public void EncodeForTraining_ChatMLOnOlmo2_GivesHandDerivedIds()
    {
        var tokenizer = Load(Olmo2);
        var tokens = ChatTemplate.Get("chatml").EncodeForTraining(tokenizer, SayHi, "Hello");
        int[] prompt =
        [
            100264, // <|im_start|> (added token, special)
            882,    // "user"
            198,    // "Ċ" = "\n"
            13347,  // "Hi"
            100265, // <|im_end|>
            198,    // "\n"
            100264, // <|im_start|>
            78191,  // "assistant"
            198,    // "\n"
        ];
        Assert.Equal(prompt, tokens.PromptIds);
        Assert.Equal([9906 /* "Hello" */, 100265 /* <|im_end|> */], tokens.CompletionIds);
        Assert.Equal(9, tokens.CompletionStart);
        Assert.Equal(tokenizer.EncodeMarkup("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>"), tokens.AllIds);
    }

    [Fact]
    public void EncodeForTraining_Phi3OnPhi3Mini_GivesHandDerivedIds()
    {
        // <|user|>, <|end|>, <|assistant|> have rstrip (they swallow the "\n" after them) and the legacy normalizer
        // prepends "▁" to the text after each added token; add_bos_token is false.
        var tokens = ChatTemplate.Get("phi3").EncodeForTraining(Load(Phi3Mini), SayHi, "Hello");
        Assert.Equal([32010 /* <|user|> */, 6324 /* ▁Hi */, 32007 /* <|end|> */, 32001 /* <|assistant|> */], tokens.PromptIds);
        Assert.Equal([15043 /* ▁Hello */, 32007 /* <|end|> */], tokens.CompletionIds);
    }

    [Fact]
    public void EncodeForTraining_MistralOnMistral7BJson_GivesHandDerivedIds()
    {
        // v1 [INST] markers are plain text: "▁[" 733, "INST" 16289, "]" 28793, "/" 28748.
        var tokens = ChatTemplate.Get("mistral").EncodeForTraining(Load(Mistral7B), SayHi, "Hello");
        Assert.Equal([1, 733, 16289, 28793, 15359 /* ▁Hi */, 733, 28748, 16289, 28793], tokens.PromptIds);
        Assert.Equal([22557 /* ▁Hello */, 2 /* </s> */], tokens.CompletionIds);
    }

    [Fact]
    public void EncodeForTraining_MistralV3OnSentencePiece_GivesControlTokenIds()
    {
        // As mistral-common's v3 tokenizer: <s> [INST] ▁Hi [/INST] ▁Hello </s>.
        var tokens = ChatTemplate.Get("mistral-v3").EncodeForTraining(Load(MistralV3), SayHi, "Hello");
        Assert.Equal([1, 3, 16127, 4], tokens.PromptIds);
        Assert.Equal([23325, 2], tokens.CompletionIds);
    }

    [Fact]
    public void EncodeForTraining_TuluOnLlama2StyleSentencePiece_GivesHandDerivedIds()
    {
        // Tulu 2's markers are plain text to the Llama 2 vocabulary; the completion follows "\n" without "▁".
        var tokenizer = Load(Mistral7B, TokenizerFileKind.SentencePieceModel);
        var tokens = ChatTemplate.Get("tulu", tokenizer.EosToken).EncodeForTraining(tokenizer, SayHi, "Hello");
        int[] prompt =
        [
            1,                                  // <s>
            523, 28766, 1838, 28766, 28767, 13, // "▁<" "|" "user" "|" ">" "<0x0A>"
            23809, 13,                          // "Hi" "<0x0A>"
            28789, 28766, 489, 11143, 28766, 28767, 13, // "<" "|" "ass" "istant" "|" ">" "<0x0A>"
        ];
        Assert.Equal(prompt, tokens.PromptIds);
        Assert.Equal([16230 /* Hello */, 2 /* </s> */], tokens.CompletionIds);
    }

    [Theory]
    [InlineData("chatml", Olmo2)]
    [InlineData("phi3", Phi3Mini)]
    [InlineData("mistral", Mistral7B)]
    [InlineData("mistral-v3", MistralV3)]
    public void EncodeForTraining_SplitEncoding_EqualsEncodingTheWholeConversation(string name, string fixture)
    {
        var tokenizer = Load(fixture);
        var template = ChatTemplate.Get(name, tokenizer.EosToken);
        ChatMessage[] prompt = [new(ChatRole.System, "Be kind."), new(ChatRole.User, "What is 2+2?")];
        const string answer = "It is 4. 😀";
        var tokens = template.EncodeForTraining(tokenizer, prompt, answer);
        string whole = template.Render(prompt, addGenerationPrompt: true) + template.FormatCompletion(answer);
        Assert.Equal(tokenizer.EncodeMarkup(whole, addSpecialTokens: true), tokens.AllIds);

        // Decoding drops a leading space of the first token only, which Mistral's completion starts with.
        string expected = template.FormatCompletion(answer);
        Assert.Equal(name.StartsWith("mistral", StringComparison.Ordinal) ? expected[1..] : expected, tokenizer.Decode(tokens.CompletionIds));
    }

    [Fact]
    public void GetStopTokenIds_ChatMLOnOlmo2_IncludesImEnd()
    {
        var ids = ChatTemplate.Get("chatml").GetStopTokenIds(Load(Olmo2));
        Assert.Contains(100265, ids); // <|im_end|>
        Assert.Contains(100257, ids); // <|endoftext|>
    }
}
