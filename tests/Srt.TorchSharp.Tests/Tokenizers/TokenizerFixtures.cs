using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Tokenizers;

/// <summary>Finds the real tokenizer folders copied next to the test assembly and loads each once.</summary>
internal static class TokenizerFixtures
{
    public const string Mistral7B = "mistral-7b-v0.1";
    public const string MistralV3 = "mistral-instruct-v3-spm";
    public const string Olmo2 = "olmo2-dolma2";
    public const string Phi2 = "phi-2";
    public const string Phi3Mini = "phi-3-mini";

    private static readonly Dictionary<(string, TokenizerFileKind?, bool), Lazy<ModelTokenizer>> Cache = [];

    public static string Folder(string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizers", name);
        return Directory.Exists(folder) ? folder : throw new DirectoryNotFoundException($"Fixture folder missing: {folder}");
    }

    /// <summary>Loads a fixture; <paramref name="matchSpecialTokensInText"/> turns on Hugging Face's special-token matching.</summary>
    public static ModelTokenizer Load(string name, TokenizerFileKind? kind = null, bool matchSpecialTokensInText = false)
    {
        Lazy<ModelTokenizer> lazy;
        lock (Cache)
        {
            if (!Cache.TryGetValue((name, kind, matchSpecialTokensInText), out lazy!))
            {
                lazy = new Lazy<ModelTokenizer>(() => ModelTokenizer.FromPretrained(
                    Folder(name), new ModelTokenizerOptions { FileKind = kind, MatchSpecialTokensInText = matchSpecialTokensInText }));
                Cache[(name, kind, matchSpecialTokensInText)] = lazy;
            }
        }

        return lazy.Value;
    }
}
