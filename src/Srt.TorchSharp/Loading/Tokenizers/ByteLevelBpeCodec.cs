using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2, OLMo): each section is split by the tokenizer.json Split regexes and the
/// ByteLevel step (prefix space, GPT-2 regex when <c>use_regex</c>), each piece is spelled in the byte alphabet and
/// merged in merge-rank order by <see cref="BpeMerger"/> (the order of ML.Tokenizers' <see cref="BpeTokenizer"/>,
/// near-linear in the piece length, so one long unsplit word stays cheap).
/// </summary>
internal sealed class ByteLevelBpeCodec : TokenizerModelCodec
{
    private readonly BpeTokenizer _inner;
    private readonly BpeMerger _merger;
    private readonly IReadOnlyDictionary<string, int> _vocabulary;
    private readonly string?[] _idToToken;
    private readonly IReadOnlyList<RegexSplit> _splits;
    private readonly RegexSplit? _byteLevelSplit;
    private readonly TextNormalizer _normalizer;
    private readonly bool _addPrefixSpace;
    private readonly bool _ignoreMerges;

    public ByteLevelBpeCodec(
        BpeTokenizer inner, BpeMerger merger, IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<RegexSplit> splits,
        bool useGpt2Regex, TextNormalizer normalizer, bool addPrefixSpace, bool ignoreMerges)
    {
        _inner = inner;
        _merger = merger;
        _vocabulary = vocabulary;
        _idToToken = VocabularyTable.ToArray(vocabulary);
        _splits = splits;
        _byteLevelSplit = useGpt2Regex ? new RegexSplit(Gpt2Regex, KeepMatches: true, KeepGaps: true) : null;
        _normalizer = normalizer;
        _addPrefixSpace = addPrefixSpace;
        _ignoreMerges = ignoreMerges;
    }

    /// <summary>GPT-2's split pattern, used by a ByteLevel pre-tokenizer with <c>use_regex: true</c>.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly Regex Gpt2Regex = new(Gpt2Pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public override Tokenizer Inner => _inner;

    public override bool StripsLeadingSpace => false;

    public override int VocabularySize => _idToToken.Length;

    public override void EncodeSection(string text, SectionPosition position, List<int> ids)
    {
        text = _normalizer.Normalize(text, position);
        var pieces = new List<string> { text };
        foreach (var split in _splits)
        {
            pieces = split.Apply(pieces);
        }

        if (_addPrefixSpace)
        {
            // Hugging Face's ByteLevel prepends a space to every piece that lacks one; a continuation's first
            // piece is the middle of a word, so it gets none.
            for (int i = position == SectionPosition.Continuation ? 1 : 0; i < pieces.Count; i++)
            {
                if (pieces[i].Length > 0 && pieces[i][0] != ' ')
                {
                    pieces[i] = " " + pieces[i];
                }
            }
        }

        if (_byteLevelSplit is not null)
        {
            pieces = _byteLevelSplit.Apply(pieces);
        }

        foreach (string piece in pieces)
        {
            if (piece.Length > 0)
            {
                EncodePiece(piece, ids);
            }
        }
    }

    private void EncodePiece(string piece, List<int> ids)
    {
        string spelled = ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece));
        if (_ignoreMerges && _vocabulary.TryGetValue(spelled, out int whole))
        {
            ids.Add(whole);
            return;
        }

        _merger.Encode(spelled, ids);
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
