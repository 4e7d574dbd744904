using System.Text;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// Decodes a growing list of generated ids into text a piece at a time. A character whose UTF-8 bytes are spread
/// over several tokens (byte-fallback or byte-level emoji) is held back until its last byte arrives, so every
/// returned piece is complete text and the pieces joined equal <see cref="ModelTokenizer.Decode"/> of all ids.
/// </summary>
public sealed class StreamingTextDecoder
{
    private readonly ModelTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<byte> _pending = [];
    private readonly StringBuilder _text = new();
    private bool _atStart = true;

    internal StreamingTextDecoder(ModelTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Gets all text returned so far.</summary>
    public string Text => _text.ToString();

    /// <summary>Adds one id and returns the text it completes (empty while a character is still partial).</summary>
    public string Append(int id)
    {
        _tokenizer.AppendBytes(id, _skipSpecialTokens, ref _atStart, _pending);
        return Emit(CompletePrefixLength(_pending));
    }

    /// <summary>Adds several ids and returns the text they complete.</summary>
    public string Append(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var builder = new StringBuilder();
        foreach (int id in ids)
        {
            builder.Append(Append(id));
        }

        return builder.ToString();
    }

    /// <summary>Returns whatever is still held back (a cut-off character becomes U+FFFD); call when generation ends.</summary>
    public string Flush() => Emit(_pending.Count);

    private string Emit(int count)
    {
        if (count == 0)
        {
            return string.Empty;
        }

        string piece = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..count]);
        _pending.RemoveRange(0, count);
        _text.Append(piece);
        return piece;
    }

    /// <summary>The length of the prefix that does not end inside a UTF-8 sequence that could still complete.</summary>
    internal static int CompletePrefixLength(IReadOnlyList<byte> bytes)
    {
        int n = bytes.Count;
        for (int back = 1; back <= Math.Min(3, n); back++)
        {
            byte b = bytes[n - back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte: look further back for its lead byte
            }

            int needed = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 1;
            return needed > back ? n - back : n;
        }

        return n;
    }
}
