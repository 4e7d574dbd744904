using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2, OLMo): each section is split with the tokenizer.json regex, each piece
/// is spelled in the byte alphabet and merged by ML.Tokenizers' <see cref="BpeTokenizer"/> in merge-rank order.
/// </summary>
internal sealed class ByteLevelBpeCodec : TokenizerModelCodec
{
    private readonly BpeTokenizer _inner;
    private readonly IReadOnlyDictionary<string, int> _vocabulary;
    private readonly string?[] _idToToken;
    private readonly Regex _split;
    private readonly TextNormalizer _normalizer;
    private readonly bool _addPrefixSpace;
    private readonly bool _ignoreMerges;

    public ByteLevelBpeCodec(
        BpeTokenizer inner, IReadOnlyDictionary<string, int> vocabulary, Regex split,
        TextNormalizer normalizer, bool addPrefixSpace, bool ignoreMerges)
    {
        _inner = inner;
        _vocabulary = vocabulary;
        _idToToken = VocabularyTable.ToArray(vocabulary);
        _split = split;
        _normalizer = normalizer;
        _addPrefixSpace = addPrefixSpace;
        _ignoreMerges = ignoreMerges;
    }

    /// <summary>GPT-2's split pattern, used by a ByteLevel pre-tokenizer with <c>use_regex: true</c>.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public override Tokenizer Inner => _inner;

    public override bool StripsLeadingSpace => false;

    public override int VocabularySize => _idToToken.Length;

    public override void EncodeSection(string text, SectionPosition position, List<int> ids)
    {
        text = _normalizer.Normalize(text, position);
        if (_addPrefixSpace && position == SectionPosition.InputStart && text.Length > 0 && text[0] != ' ')
        {
            text = " " + text;
        }

        // The regex covers every character of these patterns; text between matches (if any) is a piece too,
        // as with Hugging Face's "Isolated" split behaviour.
        int last = 0;
        foreach (var (start, length) in AstralSafeRegex.Matches(_split, text))
        {
            if (start > last)
            {
                EncodePiece(text[last..start], ids);
            }

            EncodePiece(text.Substring(start, length), ids);
            last = start + length;
        }

        if (last < text.Length)
        {
            EncodePiece(text[last..], ids);
        }
    }

    private void EncodePiece(string piece, List<int> ids)
    {
        if (_ignoreMerges && _vocabulary.TryGetValue(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece)), out int whole))
        {
            ids.Add(whole);
            return;
        }

        ids.AddRange(_inner.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
    }

    public override void AppendTokenBytes(int id, List<byte> bytes)
    {
        if ((uint)id >= (uint)_idToToken.Length || _idToToken[id] is not { } token)
        {
            return;
        }

        foreach (char c in token)
        {
            if (ByteLevelAlphabet.TryToByte(c, out byte b))
            {
                bytes.Add(b);
            }
        }
    }

    public override int? TokenToId(string token) => _vocabulary.TryGetValue(token, out int id) ? id : null;

    public override string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
}
