using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Tokenizers;

/// <summary>
/// Every loader against ids produced by a reference implementation (see ReferenceTokenizations.*.cs and Fixtures/tokenizers/README.md for how each
/// set was derived): tokenizer.model must match the sentencepiece library, tokenizer.json Hugging Face's rules. The
/// tokenizer.json references follow Hugging Face's default of matching special-token text anywhere, so those sets
/// load with <see cref="ModelTokenizerOptions.MatchSpecialTokensInText"/>.
/// </summary>
public sealed class ReferenceTokenizationTests
{
    public static TheoryData<string> Sets() =>
        ["Mistral7BSentencePiece", "MistralV3SentencePiece", "Phi2Json", "Olmo2Json", "Phi3MiniJson", "Mistral7BJson"];

    [Theory]
    [MemberData(nameof(Sets))]
    public void Encode_ReferenceTexts_MatchesReferenceIds(string set)
    {
        var (tokenizer, cases) = Resolve(set);
        var failures = new List<string>();
        foreach (var (text, expected) in cases)
        {
            var actual = tokenizer.Encode(text);
            if (!actual.SequenceEqual(expected))
            {
                failures.Add($"{Escape(text)}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Length} differ:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Decode_ReferenceIds_GivesBackTheText(string set)
    {
        var (tokenizer, cases) = Resolve(set);
        int checkedCount = 0;
        foreach (var (text, ids) in cases)
        {
            if (ExpectedRoundTrip(set, text) is { } expected)
            {
                Assert.Equal(expected, tokenizer.Decode(ids));
                checkedCount++;
            }
        }

        Assert.True(checkedCount >= cases.Length / 2, $"only {checkedCount} of {cases.Length} texts checked");
    }

    private static string? ExpectedRoundTrip(string set, string text) => set switch
    {
        // rstrip tokens swallow the whitespace after them, and the legacy Prepend normalizer adds a "▁" after
        // every added token that decodes as a space: both are Hugging Face behaviour, not loss in Srt. The
        // hand-checked cases are listed; other texts with added tokens are only checked by the Encode test.
        "Phi3MiniJson" when PhiThreeDecoded.TryGetValue(text, out string? decoded) => decoded,
        "Phi3MiniJson" when text.Contains("<|") || text.Contains("</s>") || text.Contains("<s>") => null,

        // Hugging Face's Strip decoder drops the first token's leading space; with prepend_scheme "first" a text
        // that starts with a space got no extra "▁", so that space is lost.
        "Mistral7BJson" when text.StartsWith(' ') => text[1..],
        _ => text,
    };

    private static readonly Dictionary<string, string> PhiThreeDecoded = new()
    {
        ["<s> literal </s>"] = "<s>  literal </s>",
        ["<|user|>\nHello<|end|>\n<|assistant|>\n"] = "<|user|> Hello<|end|><|assistant|>",
        ["<|endoftext|>"] = "<|endoftext|>",
        ["a<|endoftext|>b"] = "a<|endoftext|> b",
        ["text<|endoftext|>more"] = "text<|endoftext|> more",
    };

    private static (ModelTokenizer Tokenizer, (string Text, int[] Ids)[] Cases) Resolve(string set) => set switch
    {
        "Mistral7BSentencePiece" => (TokenizerFixtures.Load(TokenizerFixtures.Mistral7B, TokenizerFileKind.SentencePieceModel), ReferenceTokenizations.Mistral7BSentencePiece),
        "MistralV3SentencePiece" => (TokenizerFixtures.Load(TokenizerFixtures.MistralV3), ReferenceTokenizations.MistralV3SentencePiece),
        "Phi2Json" => (TokenizerFixtures.Load(TokenizerFixtures.Phi2, matchSpecialTokensInText: true), ReferenceTokenizations.Phi2Json),
        "Olmo2Json" => (TokenizerFixtures.Load(TokenizerFixtures.Olmo2, matchSpecialTokensInText: true), ReferenceTokenizations.Olmo2Json),
        "Phi3MiniJson" => (TokenizerFixtures.Load(TokenizerFixtures.Phi3Mini, matchSpecialTokensInText: true), ReferenceTokenizations.Phi3MiniJson),
        "Mistral7BJson" => (TokenizerFixtures.Load(TokenizerFixtures.Mistral7B, matchSpecialTokensInText: true), ReferenceTokenizations.Mistral7BJson),
        _ => throw new ArgumentOutOfRangeException(nameof(set)),
    };

    private static string Escape(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
