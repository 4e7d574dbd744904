using System.Text;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// SentencePiece's BPE segmentation of already-normalized text ("▁" for spaces), in the order the sentencepiece
/// library merges: the adjacent pair whose joined piece has the highest score first and, among equal scores, the
/// leftmost pair. ML.Tokenizers' port breaks those ties rightmost-first, which splits runs of one character
/// ("!!!!!!!", "llllllll") and punctuation differently from the model's own tokenizer.
/// </summary>
/// <remarks>
/// As in sentencepiece: USER_DEFINED pieces are cut out first (longest match) and never merged with neighbours;
/// merges may form NORMAL, USER_DEFINED and UNUSED pieces, and an UNUSED piece in the result is split back into the
/// two pieces it was merged from; a symbol that is no piece becomes its UTF-8 bytes with byte fallback, else the
/// unknown id, consecutive unknowns collapsing into one. Symbols form a linked list and candidate merges wait in a
/// priority queue, so a long word costs O(n log n).
/// </remarks>
internal sealed class SentencePieceBpe
{
    private readonly Dictionary<string, int> _pieces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly float[] _scores;
    private readonly bool[] _unused;
    private readonly Dictionary<char, string[]> _userDefinedByFirstChar;
    private readonly int[] _byteIds;
    private readonly bool _byteFallback;
    private readonly int _unknownId;

    private static readonly Comparer<(float Score, int Left)> HighestScoreThenLeftmost =
        Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left));

    public SentencePieceBpe(IReadOnlyList<SentencePieceEntry> entries, bool byteFallback, int unknownId)
    {
        _scores = new float[entries.Count];
        _unused = new bool[entries.Count];
        _byteIds = Enumerable.Repeat(-1, 256).ToArray();
        var userDefined = new List<string>();
        for (int id = 0; id < entries.Count; id++)
        {
            var entry = entries[id];
            _scores[id] = entry.Score;
            switch (entry.Type)
            {
                case SentencePieceType.Normal or SentencePieceType.Unused:
                    _pieces.TryAdd(entry.Piece, id);
                    _unused[id] = entry.Type == SentencePieceType.Unused;
                    break;
                case SentencePieceType.UserDefined:
                    _pieces.TryAdd(entry.Piece, id);
                    if (entry.Piece.Length > 0)
                    {
                        userDefined.Add(entry.Piece);
                    }

                    break;
                case SentencePieceType.Byte when ByteToken.TryParse(entry.Piece, out byte value):
                    _byteIds[value] = id;
                    break;
            }
        }

        _lookup = _pieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _userDefinedByFirstChar = userDefined
            .GroupBy(piece => piece[0])
            .ToDictionary(group => group.Key, group => group.OrderByDescending(piece => piece.Length).ToArray());
        _byteFallback = byteFallback;
        _unknownId = unknownId;
    }

    /// <summary>Appends the ids of <paramref name="normalized"/> (spaces already written as "▁").</summary>
    public void Encode(string normalized, List<int> ids)
    {
        if (normalized.Length == 0)
        {
            return;
        }

        var symbols = Split(normalized);
        var agenda = new PriorityQueue<(int Left, int Right, int Length), (float Score, int Left)>(HighestScoreThenLeftmost);
        Dictionary<string, (string Left, string Right)>? reverseMerges = null;
        for (int i = 1; i < symbols.Count; i++)
        {
            Consider(i - 1, i);
        }

        while (agenda.TryDequeue(out var top, out _))
        {
            var left = symbols[top.Left];
            var right = symbols[top.Right];

            // Stale: one side was merged away or grew since this pair was queued.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != top.Length)
            {
                continue;
            }

            left.Length += right.Length;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                symbols[right.Next] = symbols[right.Next] with { Previous = top.Left };
            }

            symbols[top.Left] = left;
            symbols[top.Right] = right with { Length = 0 };
            Consider(left.Previous, top.Left);
            Consider(top.Left, left.Next);
        }

        bool previousUnknown = false;
        for (int i = 0; i >= 0; i = symbols[i].Next)
        {
            Emit(normalized.Substring(symbols[i].Start, symbols[i].Length), ids, reverseMerges, ref previousUnknown);
        }

        void Consider(int leftIndex, int rightIndex)
        {
            if (leftIndex < 0 || rightIndex < 0 || symbols[leftIndex].Frozen || symbols[rightIndex].Frozen)
            {
                return;
            }

            var left = symbols[leftIndex];
            int length = left.Length + symbols[rightIndex].Length;
            if (!_lookup.TryGetValue(normalized.AsSpan(left.Start, length), out int id))
            {
                return;
            }

            agenda.Enqueue((leftIndex, rightIndex, length), (_scores[id], leftIndex));
            if (_unused[id])
            {
                reverseMerges ??= new Dictionary<string, (string, string)>(StringComparer.Ordinal);
                reverseMerges[normalized.Substring(left.Start, length)] =
                    (normalized.Substring(left.Start, left.Length), normalized.Substring(symbols[rightIndex].Start, symbols[rightIndex].Length));
            }
        }
    }

    /// <summary>One symbol per character (a surrogate pair is one), or one frozen symbol per USER_DEFINED piece.</summary>
    private List<Symbol> Split(string text)
    {
        var symbols = new List<Symbol>(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int length = MatchUserDefined(text, i);
            bool frozen = length > 0;
            if (!frozen)
            {
                length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            }

            int index = symbols.Count;
            symbols.Add(new Symbol(i, length, index - 1, i + length < text.Length ? index + 1 : -1, frozen));
            i += length;
        }

        return symbols;
    }

    private int MatchUserDefined(string text, int position)
    {
        if (_userDefinedByFirstChar.TryGetValue(text[position], out var candidates))
        {
            foreach (string candidate in candidates)
            {
                if (string.CompareOrdinal(text, position, candidate, 0, candidate.Length) == 0 && position + candidate.Length <= text.Length)
                {
                    return candidate.Length;
                }
            }
        }

        return 0;
    }

    private void Emit(string piece, List<int> ids, Dictionary<string, (string Left, string Right)>? reverseMerges, ref bool previousUnknown)
    {
        if (!_pieces.TryGetValue(piece, out int id))
        {
            if (_byteFallback)
            {
                foreach (byte b in Encoding.UTF8.GetBytes(piece))
                {
                    ids.Add(_byteIds[b] >= 0 ? _byteIds[b] : _unknownId);
                }

                previousUnknown = false;
            }
            else if (!previousUnknown)
            {
                // sentencepiece collapses a run of unknown pieces into one.
                ids.Add(_unknownId);
                previousUnknown = true;
            }

            return;
        }

        if (_unused[id] && reverseMerges is not null && reverseMerges.TryGetValue(piece, out var parts))
        {
            Emit(parts.Left, ids, reverseMerges, ref previousUnknown);
            Emit(parts.Right, ids, reverseMerges, ref previousUnknown);
            return;
        }

        ids.Add(id);
        previousUnknown = false;
    }

    private record struct Symbol(int Start, int Length, int Previous, int Next, bool Frozen);
}
