namespace Srt.TorchSharp.Training;

/// <summary>First-fit decreasing bin packing of sequence lengths into rows of a fixed token capacity: the longest
/// sequence first, each into the first row with room, a new row when none has. Deterministic for given lengths.</summary>
internal static class SequencePacker
{
    /// <summary>Groups the indices 0..n-1 of <paramref name="lengths"/> into rows whose lengths sum to at most
    /// <paramref name="capacity"/>; inside a row, indices keep ascending order.</summary>
    /// <exception cref="ArgumentException">A length is not positive or exceeds the capacity.</exception>
    public static IReadOnlyList<int[]> Pack(IReadOnlyList<int> lengths, int capacity)
    {
        var rows = new List<(List<int> Members, int Used)>();
        foreach (var index in Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i))
        {
            int length = lengths[index];
            if (length < 1 || length > capacity)
            {
                throw new ArgumentException($"Sequence {index} has {length} tokens; a packed row holds 1 to {capacity}.", nameof(lengths));
            }
            int row = rows.FindIndex(r => r.Used + length <= capacity);
            if (row < 0)
            {
                rows.Add(([index], length));
            }
            else
            {
                rows[row].Members.Add(index);
                rows[row] = (rows[row].Members, rows[row].Used + length);
            }
        }
        return [.. rows.Select(r => r.Members.Order().ToArray())];
    }
}
