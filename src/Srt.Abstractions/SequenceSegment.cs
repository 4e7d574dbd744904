namespace Srt;

/// <summary>A piece of a training completion, and whether the loss covers it.</summary>
/// <param name="Text">The text of the piece, written exactly as the model should produce it.</param>
/// <param name="IsTrained">Whether the tokens of this piece carry loss.</param>
/// <param name="Kind">What the piece is, for reports and truncation messages.</param>
public sealed record SequenceSegment(string Text, bool IsTrained = true, SegmentKind Kind = SegmentKind.Other);
