using System.Text;
using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// SentencePiece-style BPE stored in tokenizer.json (Mistral, Llama 2, Phi-3): spaces become "▁", a "▁" is
/// prepended by the Metaspace pre-tokenizer or a Prepend normalizer, and characters missing from the vocabulary
/// fall back to <c>&lt;0xNN&gt;</c> byte tokens. Byte tokens never merge, so each run of known characters is
/// merged on its own (by <see cref="BpeMerger"/>, in merge-rank order as ML.Tokenizers' <see cref="BpeTokenizer"/>
/// does, but near-linear in the word length) and the byte tokens are placed between runs, which is exactly what
/// Hugging Face's BPE with <c>byte_fallback</c> produces.
/// </summary>
internal sealed class MetaspaceBpeCodec : TokenizerModelCodec
{
    private const char Metaspace = '\u2581';

    private readonly BpeTokenizer _inner;
    private readonly BpeMerger _merger;
    private readonly IReadOnlyDictionary<string, int> _vocabulary;
    private readonly string?[] _idToToken;
    private readonly int[] _byteTokenIds;
    private readonly TextNormalizer _normalizer;
    private readonly MetaspacePrepend _prepend;
    private readonly bool _replaceSpaces;
    private readonly bool _splitOnMetaspace;
    private readonly bool _byteFallback;

    public MetaspaceBpeCodec(
        BpeTokenizer inner, BpeMerger merger, IReadOnlyDictionary<string, int> vocabulary, TextNormalizer normalizer,
        MetaspacePrepend prepend, bool replaceSpaces, bool splitOnMetaspace, bool byteFallback, bool stripsLeadingSpace)
    {
        _inner = inner;
        _merger = merger;
        _vocabulary = vocabulary;
        _idToToken = VocabularyTable.ToArray(vocabulary);
        _normalizer = normalizer;
        _prepend = prepend;
        _replaceSpaces = replaceSpaces;
        _splitOnMetaspace = splitOnMetaspace;
        _byteFallback = byteFallback;
        StripsLeadingSpace = stripsLeadingSpace;
        _byteTokenIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            _byteTokenIds[b] = vocabulary.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    public override Tokenizer Inner => _inner;

    public override bool StripsLeadingSpace { get; }

    public override int VocabularySize => _idToToken.Length;

    public override void EncodeSection(string text, SectionPosition position, List<int> ids)
    {
        text = _normalizer.Normalize(text, position);
        if (_replaceSpaces)
        {
            text = text.Replace(' ', Metaspace);
            bool prepend = _prepend == MetaspacePrepend.Always
                ? position != SectionPosition.Continuation
                : _prepend == MetaspacePrepend.First && position == SectionPosition.InputStart;
            if (prepend && text.Length > 0 && text[0] != Metaspace)
            {
                text = Metaspace + text;
            }
        }

        if (!_splitOnMetaspace)
        {
            EncodeWord(text, ids);
            return;
        }

        // Metaspace with split: every "▁" starts a new word (Hugging Face's MergedWithNext).
        int wordStart = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] == Metaspace)
            {
                EncodeWord(text[wordStart..i], ids);
                wordStart = i;
            }
        }

        EncodeWord(text[wordStart..], ids);
    }

    private void EncodeWord(string text, List<int> ids)
    {
        if (!_byteFallback)
        {
            EncodeRun(text, ids);
            return;
        }

        int runStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            int width = char.IsSurrogatePair(text, i) ? 2 : 1;
            string character = text.Substring(i, width);
            if (_vocabulary.ContainsKey(character) || !AllBytesKnown(character))
            {
                i += width;
                continue;
            }

            EncodeRun(text[runStart..i], ids);
            foreach (byte b in Encoding.UTF8.GetBytes(character))
            {
                ids.Add(_byteTokenIds[b]);
            }

            i += width;
            runStart = i;
        }

        EncodeRun(text[runStart..], ids);
    }

    private bool AllBytesKnown(string character)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(character))
        {
            if (_byteTokenIds[b] < 0)
            {
                return false;
            }
        }

        return true;
    }

    private void EncodeRun(string run, List<int> ids)
    {
        if (run.Length > 0)
        {
            _merger.Encode(run, ids);
        }
    }

    public override void AppendTokenBytes(int id, List<byte> bytes)
    {
        if ((uint)id >= (uint)_idToToken.Length || _idToToken[id] is not { } token)
        {
            return;
        }

        if (ByteToken.TryParse(token, out byte value) && _byteTokenIds[value] == id)
        {
            bytes.Add(value);
            return;
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(token.Replace(Metaspace, ' ')));
    }

    public override int? TokenToId(string token) => _vocabulary.TryGetValue(token, out int id) ? id : null;

    public override string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
}

/// <summary>When a Metaspace pre-tokenizer prepends "▁" to a section (Hugging Face's <c>prepend_scheme</c>).</summary>
internal enum MetaspacePrepend
{
    Never,
    First,
    Always,
}
