namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// The layout of a packed batch on the host: for each row, the (start, length) of every sequence in it, in order.
/// Tokens after a row's last sequence are padding. Lets attention run once per sequence instead of over a masked row.
/// </summary>
/// <param name="Rows">Per row, the sequences as (start, length) with starts ascending and no overlap.</param>
internal sealed record PackedSegments(IReadOnlyList<IReadOnlyList<(int Start, int Length)>> Rows);
