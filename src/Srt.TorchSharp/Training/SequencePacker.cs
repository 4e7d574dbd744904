namespace Srt.TorchSharp.Training;

/// <summary>
/// Packs sequence lengths into as few rows of a fixed token capacity as first-fit decreasing finds, then spreads them
/// evenly over that many rows. A packed pass pads every row to its fullest, so rows of equal fill pad least:
/// first-fit fills its first rows to the brim and leaves the last one short (on a long-tailed mix 13–25% of a pass's
/// cells were padding at 4–8 sequences per pass), while the spread rows differ by little more than one short sequence.
/// Deterministic for given lengths.
/// </summary>
internal static class SequencePacker
{
    /// <summary>Groups the indices 0..n-1 of <paramref name="lengths"/> into rows whose lengths sum to at most
    /// <paramref name="capacity"/>; inside a row, indices keep ascending order.</summary>
    /// <exception cref="ArgumentException">A length is not positive or exceeds the capacity.</exception>
    public static IReadOnlyList<int[]> Pack(IReadOnlyList<int> lengths, int capacity)
    {
        var longestFirst = Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        var rows = FirstFit(lengths, longestFirst, capacity);
        if (rows.Count > 1)
        {
            var spread = Spread(lengths, longestFirst, rows.Count);
            int fullest = Fullest(lengths, spread);
            if (fullest <= capacity && fullest < Fullest(lengths, rows))
            {
                rows = spread;
            }
        }

        return [.. rows.Select(row => row.Order().ToArray())];
    }

    // First-fit decreasing: each sequence, longest first, into the first row with room; a new row when none has.
    private static List<List<int>> FirstFit(IReadOnlyList<int> lengths, int[] longestFirst, int capacity)
    {
        var rows = new List<List<int>>();
        var used = new List<int>();
        foreach (int index in longestFirst)
        {
            int length = lengths[index];
            if (length < 1 || length > capacity)
            {
                throw new ArgumentException($"Sequence {index} has {length} tokens; a packed row holds 1 to {capacity}.", nameof(lengths));
            }

            int row = used.FindIndex(u => u + length <= capacity);
            if (row < 0)
            {
                rows.Add([index]);
                used.Add(length);
            }
            else
            {
                rows[row].Add(index);
                used[row] += length;
            }
        }

        return rows;
    }

    // Longest-first greedy over a fixed number of rows: each sequence into the least-filled row (the first on ties).
    private static List<List<int>> Spread(IReadOnlyList<int> lengths, int[] longestFirst, int rowCount)
    {
        var rows = Enumerable.Range(0, rowCount).Select(_ => new List<int>()).ToList();
        var used = new int[rowCount];
        foreach (int index in longestFirst)
        {
            int row = Array.IndexOf(used, used.Min());
            rows[row].Add(index);
            used[row] += lengths[index];
        }

        return rows;
    }

    private static int Fullest(IReadOnlyList<int> lengths, List<List<int>> rows) => rows.Max(row => row.Sum(i => lengths[i]));
}
