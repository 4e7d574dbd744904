using System.Text;
using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// The tokenizer of a Hugging Face model folder: the one tokenizer type the rest of Srt uses. Wraps a
/// Microsoft.ML.Tokenizers <see cref="Tokenizer"/> (<see cref="Inner"/>) and adds what Hugging Face layers on top:
/// added/special tokens matched whole in text, BOS/EOS/PAD from the config files, and byte-exact decoding that
/// streams.
/// </summary>
/// <remarks>
/// Special-token text in the input (for example <c>&lt;|im_end|&gt;</c>) is plain text to <see cref="Encode"/> and
/// <see cref="EncodeContinuation"/> unless the tokenizer was loaded with
/// <see cref="ModelTokenizerOptions.MatchSpecialTokensInText"/> (Hugging Face's behaviour); <see cref="EncodeMarkup"/>
/// always matches it. Chat templates (<see cref="ChatTemplates.ChatTokenization"/>) encode their own markers as
/// special tokens and message content as plain text.
/// </remarks>
public sealed partial class ModelTokenizer
{
    private readonly TokenizerModelCodec _codec;
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, int> _addedByContent;

    internal ModelTokenizer(TokenizerModelCodec codec, IEnumerable<AddedToken> addedTokens, string? bosToken,
        string? eosToken, string? padToken, bool addBos, bool addEos, IEnumerable<int> extraEosIds, int? padId,
        string? chatTemplate, TokenizerFileKind kind, bool matchSpecialTokensInText)
    {
        _codec = codec;
        MatchesSpecialTokensInText = matchSpecialTokensInText;
        var added = new List<AddedToken>();
        _addedById = [];
        _addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in addedTokens)
        {
            if (_addedById.TryAdd(token.Id, token))
            {
                _addedByContent.TryAdd(token.Content, token.Id);
                added.Add(token);
            }
        }

        AddedTokens = added;
        _splitter = new AddedTokenSplitter(added);
        SpecialTokens = added.Where(t => t.IsSpecial).GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id);
        VocabularySize = Math.Max(codec.VocabularySize, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);

        BosToken = bosToken;
        EosToken = eosToken;
        BosTokenId = bosToken is null ? null : TokenToId(bosToken);
        var eos = new HashSet<int>(extraEosIds);
        if (eosToken is not null && TokenToId(eosToken) is int eosId)
        {
            eos.Add(eosId);
            EosTokenId = eosId;
        }

        EosTokenIds = eos;
        PadTokenId = (padToken is null ? null : TokenToId(padToken)) ?? padId;
        AddBosToken = addBos && BosTokenId is not null;
        AddEosToken = addEos && EosTokenId is not null;
        ChatTemplate = chatTemplate;
        FileKind = kind;
    }

    /// <summary>Gets the Microsoft.ML.Tokenizers tokenizer that segments plain text (no added-token handling).</summary>
    public Tokenizer Inner => _codec.Inner;

    /// <summary>Gets which file the tokenizer was loaded from.</summary>
    public TokenizerFileKind FileKind { get; }

    /// <summary>
    /// Gets whether special-token text inside text and message content becomes the special token's id (see
    /// <see cref="ModelTokenizerOptions.MatchSpecialTokensInText"/>).
    /// </summary>
    public bool MatchesSpecialTokensInText { get; }

    /// <summary>Gets one past the largest token id, added tokens included.</summary>
    public int VocabularySize { get; }

    /// <summary>Gets the beginning-of-sequence token text, if the model has one.</summary>
    public string? BosToken { get; }

    /// <summary>Gets the beginning-of-sequence id, if the model has one.</summary>
    public int? BosTokenId { get; }

    /// <summary>Gets the end-of-sequence token text from the tokenizer config.</summary>
    public string? EosToken { get; }

    /// <summary>Gets the end-of-sequence id from the tokenizer config.</summary>
    public int? EosTokenId { get; }

    /// <summary>Gets every id that ends generation: the config's EOS plus generation_config.json's eos_token_id list.</summary>
    public IReadOnlySet<int> EosTokenIds { get; }

    /// <summary>Gets the padding id, if the config names one.</summary>
    public int? PadTokenId { get; }

    /// <summary>Gets whether <see cref="Encode"/> with special tokens prepends <see cref="BosTokenId"/>.</summary>
    public bool AddBosToken { get; }

    /// <summary>Gets whether <see cref="Encode"/> with special tokens appends <see cref="EosTokenId"/>.</summary>
    public bool AddEosToken { get; }

    /// <summary>Gets the raw Jinja <c>chat_template</c> of tokenizer_config.json, if any.</summary>
    public string? ChatTemplate { get; }

    /// <summary>Gets the special tokens (text → id): those dropped by <c>skipSpecialTokens</c>.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>Gets every token matched whole in text, special or not.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Returns the id of a token (added token text or a vocabulary entry in the model's spelling).</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _addedByContent.TryGetValue(token, out int id) ? id : _codec.TokenToId(token);
    }

    /// <summary>Returns the token string of an id in the model's spelling (e.g. "▁Hello", "Ġworld"), or null.</summary>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var token) ? token.Content : _codec.IdToToken(id);

    /// <summary>
    /// Encodes text; with <paramref name="addSpecialTokens"/> adds BOS/EOS as the config says. Special-token text in
    /// <paramref name="text"/> is plain text unless <see cref="MatchesSpecialTokensInText"/>.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeSegmented(SegmentedText.Content(text), addSpecialTokens);
    }

    /// <summary>
    /// Encodes text written as markup, such as a chat prompt rendered by hand: special-token text in it always
    /// becomes the token's id, as Hugging Face tokenizers do. Do not pass untrusted text through it.
    /// </summary>
    public IReadOnlyList<int> EncodeMarkup(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeSegmented(SegmentedText.Markup(text), addSpecialTokens);
    }

    internal IReadOnlyList<int> EncodeSegmented(SegmentedText text, bool addSpecialTokens)
    {
        var ids = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens && AddBosToken)
        {
            ids.Add(BosTokenId!.Value);
        }

        EncodeInto(text, SectionPosition.InputStart, ids);
        if (addSpecialTokens && AddEosToken)
        {
            ids.Add(EosTokenId!.Value);
        }

        return ids;
    }

    /// <summary>
    /// Encodes text that directly follows <paramref name="precedingText"/> (a completion after its prompt) the way
    /// Hugging Face would tokenize that part of the joined text: SentencePiece-style tokenizers add no "▁" prefix
    /// unless the preceding text ends with an added token, and an <c>rstrip</c> token there swallows leading
    /// whitespace. Byte-level BPE encodes it as <see cref="Encode"/> does. Encoding the two parts separately keeps
    /// the boundary between them exact. Special-token text in either is plain text unless
    /// <see cref="MatchesSpecialTokensInText"/>.
    /// </summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="precedingText">The text before it; null or empty when it continues plain text.</param>
    /// <returns>The ids of <paramref name="text"/> alone, never BOS/EOS.</returns>
    public IReadOnlyList<int> EncodeContinuation(string text, string? precedingText = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeContinuationSegmented(SegmentedText.Content(text), precedingText is null ? null : SegmentedText.Content(precedingText));
    }

    internal IReadOnlyList<int> EncodeContinuationSegmented(SegmentedText text, SegmentedText? preceding)
    {
        var ids = new List<int>(text.Length / 3 + 1);
        var lastPiece = preceding is null || preceding.Length == 0 ? default : _splitter.Split(preceding, MatchesSpecialTokensInText)[^1];
        if (lastPiece.AddedToken is { StripRight: true })
        {
            string plain = text.Text;
            text = text.Substring(plain.Length - plain.TrimStart().Length);
        }

        EncodeInto(text, lastPiece.AddedToken is null ? SectionPosition.Continuation : SectionPosition.AfterAddedToken, ids);
        return ids;
    }

    private void EncodeInto(SegmentedText text, SectionPosition start, List<int> ids)
    {
        foreach (var piece in _splitter.Split(text, MatchesSpecialTokensInText))
        {
            if (piece.AddedToken is { } token)
            {
                ids.Add(token.Id);
                continue;
            }

            var position = piece.Offset != 0 ? SectionPosition.AfterAddedToken : start;
            _codec.EncodeSection(piece.Text!, position, ids);
        }
    }

    /// <summary>Decodes ids to text; invalid UTF-8 becomes U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        bool atStart = true;
        foreach (int id in ids)
        {
            AppendBytes(id, skipSpecialTokens, ref atStart, bytes);
        }

        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>Starts an incremental decoder for streaming generated ids as text.</summary>
    public StreamingTextDecoder CreateStreamingDecoder(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    /// <summary>Appends the bytes of one id; the first regular token may lose SentencePiece's dummy-prefix space.</summary>
    internal void AppendBytes(int id, bool skipSpecialTokens, ref bool atStart, List<byte> bytes)
    {
        if (_addedById.TryGetValue(id, out var token))
        {
            if (!(skipSpecialTokens && token.IsSpecial))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token.Content));
                atStart = false;
            }

            return;
        }

        int before = bytes.Count;
        _codec.AppendTokenBytes(id, bytes);
        if (atStart && bytes.Count > before)
        {
            if (_codec.StripsLeadingSpace && bytes[before] == (byte)' ')
            {
                bytes.RemoveAt(before);
            }

            atStart = false;
        }
    }
}
