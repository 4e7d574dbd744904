namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>Turns a token → id map into an id → token table.</summary>
internal static class VocabularyTable
{
    public static string?[] ToArray(IReadOnlyDictionary<string, int> vocabulary)
    {
        int size = vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1;
        var table = new string?[size];
        foreach (var (token, id) in vocabulary)
        {
            if (id >= 0)
            {
                table[id] = token;
            }
        }

        return table;
    }
}

/// <summary>Recognises SentencePiece byte-fallback tokens such as <c>&lt;0x0A&gt;</c>.</summary>
internal static class ByteToken
{
    public static bool TryParse(string token, out byte value)
    {
        value = 0;
        return token.Length == 6
            && token.StartsWith("<0x", StringComparison.Ordinal)
            && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }
}
