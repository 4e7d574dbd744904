namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// Byte-pair merging of one word in O(n log n): the symbols form a doubly linked list and candidate merges wait in a
/// priority queue ordered by merge rank, then position, so each merge costs a queue operation and the word is read
/// back once at the end. Hugging Face's BPE (and ML.Tokenizers' port of it) merge in exactly this order; this class
/// exists because the port compacts its symbol array by deleting from the middle, which makes a long unsplit word
/// (a 1 MB instruction with no spaces) quadratic.
/// </summary>
/// <remarks>
/// A word starts as one symbol per character (a surrogate pair is one character). A character missing from the
/// vocabulary becomes the unknown token when there is one (consecutive ones fused into one when
/// <c>fuse_unk</c> is set) and is dropped otherwise, as Hugging Face does.
/// </remarks>
internal sealed class BpeMerger
{
    private readonly IReadOnlyDictionary<string, int> _vocabulary;
    private readonly Dictionary<long, (int Rank, int Id)> _merges;
    private readonly Dictionary<char, int> _singleCharIds = [];
    private readonly int? _unknownId;
    private readonly bool _fuseUnknown;

    public BpeMerger(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<string> merges, string? unknownToken = null, bool fuseUnknown = false)
    {
        _vocabulary = vocabulary;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var merge = merges[rank];
            var space = merge.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == merge.Length - 1)
            {
                continue;
            }
            var (left, right) = (merge[..space], merge[(space + 1)..]);
            if (vocabulary.TryGetValue(left, out var leftId) && vocabulary.TryGetValue(right, out var rightId)
                && vocabulary.TryGetValue(left + right, out var mergedId))
            {
                _merges.TryAdd(Key(leftId, rightId), (rank, mergedId));
            }
        }
        foreach (var (token, id) in vocabulary)
        {
            if (token.Length == 1)
            {
                _singleCharIds[token[0]] = id;
            }
        }
        _unknownId = unknownToken is not null && vocabulary.TryGetValue(unknownToken, out var unknown) ? unknown : null;
        _fuseUnknown = fuseUnknown;
    }

    /// <summary>Merges <paramref name="word"/> and appends its token ids to <paramref name="ids"/>.</summary>
    public void Encode(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty)
        {
            return;
        }
        var symbols = new int[word.Length];
        var count = 0;
        var previousUnknown = false;
        for (var i = 0; i < word.Length;)
        {
            var width = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            if (TryGetCharacterId(word.Slice(i, width), out var id))
            {
                symbols[count++] = id;
                previousUnknown = false;
            }
            else if (_unknownId is { } unknown)
            {
                if (!(previousUnknown && _fuseUnknown))
                {
                    symbols[count++] = unknown;
                }
                previousUnknown = true;
            }
            i += width;
        }
        Merge(symbols, count, ids);
    }

    private bool TryGetCharacterId(ReadOnlySpan<char> character, out int id) =>
        character.Length == 1
            ? _singleCharIds.TryGetValue(character[0], out id)
            : _vocabulary.TryGetValue(character.ToString(), out id);

    private void Merge(int[] symbols, int count, List<int> ids)
    {
        if (count == 0)
        {
            return;
        }
        var next = new int[count];
        var previous = new int[count];
        var removed = new bool[count];
        var queue = new PriorityQueue<(int Position, int Id), (int Rank, int Position)>();
        for (var i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            previous[i] = i - 1;
            if (i + 1 < count && _merges.TryGetValue(Key(symbols[i], symbols[i + 1]), out var merge))
            {
                queue.Enqueue((i, merge.Id), (merge.Rank, i));
            }
        }

        while (queue.TryDequeue(out var candidate, out _))
        {
            var left = candidate.Position;
            var right = removed[left] ? -1 : next[left];
            // Entries go stale when a neighbour merged first; the pair must still be there and still make this token.
            if (right < 0 || !_merges.TryGetValue(Key(symbols[left], symbols[right]), out var current) || current.Id != candidate.Id)
            {
                continue;
            }
            symbols[left] = candidate.Id;
            removed[right] = true;
            next[left] = next[right];
            if (next[left] >= 0)
            {
                previous[next[left]] = left;
            }
            if (previous[left] >= 0 && _merges.TryGetValue(Key(symbols[previous[left]], symbols[left]), out var before))
            {
                queue.Enqueue((previous[left], before.Id), (before.Rank, previous[left]));
            }
            if (next[left] >= 0 && _merges.TryGetValue(Key(symbols[left], symbols[next[left]]), out var after))
            {
                queue.Enqueue((left, after.Id), (after.Rank, left));
            }
        }

        // The first symbol is never removed (merges keep the left one), so the list starts at 0.
        for (var i = 0; i >= 0; i = next[i])
        {
            ids.Add(symbols[i]);
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
