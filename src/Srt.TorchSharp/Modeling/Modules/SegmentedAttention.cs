using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Causal attention over packed rows one sequence at a time: each sequence's queries, keys and values are slices of
/// the row, so the work is the sum of each sequence's own (length²) and never the row's masked length². Padding after
/// the last sequence of a row gets zeros (it carries no loss). Same result as SDPA with
/// <see cref="SequenceMask.PackedCausal"/>.
/// </summary>
internal static class SegmentedAttention
{
    /// <param name="query">[B, heads, T, D].</param>
    /// <param name="key">[B, heads, T, D] (key/value heads already repeated to the query heads).</param>
    /// <param name="value">[B, heads, T, D].</param>
    /// <param name="segments">Where each row's sequences lie.</param>
    /// <returns>[B, heads, T, D].</returns>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, PackedSegments segments)
    {
        var (batch, heads, tokens, dim) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3]);
        if (segments.Rows.Count != batch)
        {
            throw new ArgumentException($"The packed layout has {segments.Rows.Count} rows; the batch has {batch}.", nameof(segments));
        }
        using var scope = NewDisposeScope();
        var rows = new Tensor[batch];
        for (int row = 0; row < batch; row++)
        {
            var parts = new List<Tensor>();
            long cursor = 0;
            foreach (var (start, length) in segments.Rows[row])
            {
                if (start < cursor || start + length > tokens)
                {
                    throw new ArgumentException($"Row {row}: the sequence at {start} (length {length}) overlaps another or passes the row's {tokens} tokens.", nameof(segments));
                }
                if (start > cursor)
                {
                    parts.Add(zeros([1, heads, start - cursor, dim], query.dtype, query.device));
                }
                parts.Add(nn.functional.scaled_dot_product_attention(
                    Slice(query, row, start, length), Slice(key, row, start, length), Slice(value, row, start, length), null, 0.0, length > 1));
                cursor = start + length;
            }
            if (cursor < tokens)
            {
                parts.Add(zeros([1, heads, tokens - cursor, dim], query.dtype, query.device));
            }
            rows[row] = parts.Count == 1 ? parts[0] : cat(parts, 2);
        }
        return (batch == 1 ? rows[0] : cat(rows, 0)).MoveToOuterDisposeScope();
    }

    private static Tensor Slice(Tensor states, int row, long start, long length) => states.narrow(0, row, 1).narrow(2, start, length);
}
