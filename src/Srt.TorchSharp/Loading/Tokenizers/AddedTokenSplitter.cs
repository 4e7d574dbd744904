namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// Cuts text into plain sections and whole added tokens, leftmost match first and the longest token at a position
/// winning, as Hugging Face's added-vocabulary matcher does; honours <c>lstrip</c>/<c>rstrip</c>. Special tokens are
/// matched only inside markup (see <see cref="SegmentedText"/>) unless asked to match them everywhere, as Hugging
/// Face's <c>split_special_tokens</c> leaves non-special added tokens matched either way.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>Splits <paramref name="text"/>, matching every added token; plain sections carry their offset.</summary>
    public List<TextPiece> Split(string text) => Split(text, null);

    /// <summary>
    /// Splits <paramref name="segmented"/>: special tokens are matched where they lie wholly in markup, or anywhere
    /// when <paramref name="matchSpecialInContent"/> is set; plain sections carry their offset.
    /// </summary>
    public List<TextPiece> Split(SegmentedText segmented, bool matchSpecialInContent) =>
        Split(segmented.Text, matchSpecialInContent ? null : segmented);

    private List<TextPiece> Split(string text, SegmentedText? markup)
    {
        var pieces = new List<TextPiece>();
        int sectionStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            AddedToken? match = FindAt(text, i, markup);
            if (match is null)
            {
                i++;
                continue;
            }

            int start = i;
            int end = i + match.Content.Length;
            if (match.StripLeft)
            {
                while (start > sectionStart && char.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (match.StripRight)
            {
                while (end < text.Length && char.IsWhiteSpace(text[end]))
                {
                    end++;
                }
            }

            if (start > sectionStart)
            {
                pieces.Add(TextPiece.Plain(text[sectionStart..start], sectionStart));
            }

            pieces.Add(TextPiece.Token(match));
            sectionStart = i = end;
        }

        if (sectionStart < text.Length)
        {
            pieces.Add(TextPiece.Plain(text[sectionStart..], sectionStart));
        }

        return pieces;
    }

    private AddedToken? FindAt(string text, int position, SegmentedText? markup)
    {
        if (!_byFirstChar.TryGetValue(text[position], out var candidates))
        {
            return null;
        }

        foreach (var candidate in candidates)
        {
            if (string.CompareOrdinal(text, position, candidate.Content, 0, candidate.Content.Length) == 0
                && (!candidate.IsSpecial || markup is null || markup.IsMarkup(position, position + candidate.Content.Length)))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A plain text section (with its offset in the input) or one whole added token.</summary>
internal readonly record struct TextPiece(string? Text, int Offset, AddedToken? AddedToken)
{
    public static TextPiece Plain(string text, int offset) => new(text, offset, null);

    public static TextPiece Token(AddedToken token) => new(null, -1, token);
}
