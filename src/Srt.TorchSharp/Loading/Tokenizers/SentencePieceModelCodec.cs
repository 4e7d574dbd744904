using System.Text;
using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// A SentencePiece <c>tokenizer.model</c>: ML.Tokenizers' <see cref="LlamaTokenizer"/> reads the model and
/// normalizes text, and <see cref="SentencePieceBpe"/> segments it in the sentencepiece library's exact merge order.
/// A section that starts the input goes through SentencePiece's own normalizer (dummy prefix, whitespace escaping),
/// so plain text encodes exactly as the sentencepiece library does; later sections (after a control token, or
/// continuations) only escape spaces, as Hugging Face's non-legacy Llama tokenizer does.
/// </summary>
internal sealed class SentencePieceModelCodec : TokenizerModelCodec
{
    private readonly LlamaTokenizer _inner;
    private readonly string?[] _pieces;
    private readonly SentencePieceType[] _types;
    private readonly SentencePieceBpe _bpe;

    public SentencePieceModelCodec(LlamaTokenizer inner, IReadOnlyList<SentencePieceEntry> entries)
    {
        _inner = inner;
        _bpe = new SentencePieceBpe(entries, inner.ByteFallback, inner.UnknownId);
        _pieces = new string?[entries.Count];
        _types = new SentencePieceType[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            _pieces[i] = entries[i].Piece;
            _types[i] = entries[i].Type;
        }
    }

    public override Tokenizer Inner => _inner;

    public override bool StripsLeadingSpace => _inner.AddDummyPrefix;

    public override int VocabularySize => _pieces.Length;

    public override void EncodeSection(string text, SectionPosition position, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }

        string normalized = position == SectionPosition.InputStart
            ? Normalize(text)
            : text.Replace(' ', '\u2581');
        _bpe.Encode(normalized, ids);
    }

    private string Normalize(string text)
    {
        if (_inner.Normalizer is { } normalizer)
        {
            return normalizer.Normalize(text);
        }

        string escaped = _inner.EscapeWhiteSpaces ? text.Replace(' ', '\u2581') : text;
        return _inner.AddDummyPrefix && escaped.Length > 0 ? "\u2581" + escaped : escaped;
    }

    public override void AppendTokenBytes(int id, List<byte> bytes)
    {
        if ((uint)id >= (uint)_pieces.Length || _pieces[id] is not { } piece)
        {
            return;
        }

        if (_types[id] == SentencePieceType.Byte && ByteToken.TryParse(piece, out byte value))
        {
            bytes.Add(value);
            return;
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' ')));
    }

    public override int? TokenToId(string token) => _inner.Vocabulary.TryGetValue(token, out int id) ? id : null;

    public override string? IdToToken(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id] : null;
}
