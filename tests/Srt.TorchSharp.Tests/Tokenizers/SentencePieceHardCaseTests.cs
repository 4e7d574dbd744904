using System.Text.Json;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Tokenizers;

/// <summary>
/// Hard cases (punctuation runs, long runs of one character, mixed scripts, emoji, whitespace runs, control-token
/// spellings, byte fallback, empty and leading-space texts) against ids written by
/// Fixtures/tokenizers/sentencepiece-cases/make_expected.py: the sentencepiece library for tokenizer.model, the
/// independent Hugging Face BPE re-implementation (special tokens unmatched in text) for the OLMo 2 and Phi-3
/// tokenizer.json files. The tests read the JSON and never run Python.
/// </summary>
public sealed class SentencePieceHardCaseTests
{
    private static readonly Lazy<Dictionary<string, ExpectedSet>> Sets = new(ReadSets);

    public static TheoryData<string> SetNames() =>
        ["mistral-7b-v0.1/tokenizer.model", "mistral-instruct-v3-spm/tokenizer.model", "olmo2-dolma2/tokenizer.json", "phi-3-mini/tokenizer.json"];

    [Theory]
    [MemberData(nameof(SetNames))]
    public void Encode_HardCases_MatchesReferenceIds(string setName)
    {
        var set = Sets.Value[setName];
        var tokenizer = TokenizerFixtures.Load(set.Fixture, set.Kind);
        Assert.Equal(set.Kind, tokenizer.FileKind);
        var failures = new List<string>();
        foreach (var (text, expected) in set.Cases)
        {
            var actual = tokenizer.Encode(text);
            if (!actual.SequenceEqual(expected))
            {
                failures.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]");
            }
        }

        Assert.True(set.Cases.Count >= 60, $"only {set.Cases.Count} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {set.Cases.Count} differ from {set.Reference}:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(SetNames))]
    public void Encode_FixtureFile_IsTheOneTheReferenceEncoded(string setName)
    {
        var set = Sets.Value[setName];
        string path = Path.Combine(TokenizerFixtures.Folder(set.Fixture), set.File);
        string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        Assert.Equal(set.Sha256, actual);
    }

    private sealed record ExpectedSet(string Fixture, string File, TokenizerFileKind Kind, string Sha256, string Reference, List<(string Text, int[] Ids)> Cases);

    private static Dictionary<string, ExpectedSet> ReadSets()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizers", "sentencepiece-cases", "expected.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var sets = new Dictionary<string, ExpectedSet>();
        foreach (var set in document.RootElement.GetProperty("sets").EnumerateArray())
        {
            string fixture = set.GetProperty("fixture").GetString()!;
            string file = set.GetProperty("file").GetString()!;
            var kind = file == ModelTokenizer.SentencePieceModelFileName ? TokenizerFileKind.SentencePieceModel : TokenizerFileKind.HuggingFaceJson;
            var cases = set.GetProperty("cases").EnumerateArray()
                .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32()).ToArray()))
                .ToList();
            sets[$"{fixture}/{file}"] = new ExpectedSet(
                fixture, file, kind, set.GetProperty("sha256").GetString()!, set.GetProperty("reference").GetString()!, cases);
        }

        return sets;
    }
}
