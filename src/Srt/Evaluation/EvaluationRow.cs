namespace Srt.Evaluation;

/// <summary>One row of the comparison table: one checkpoint answering in one mode.</summary>
public sealed record EvaluationRow
{
    /// <summary>Gets the checkpoint's name, such as <c>base</c>, <c>stage1</c>, <c>stage2</c> or <c>round1</c>.</summary>
    public required string Checkpoint { get; init; }

    /// <summary>Gets the answer mode.</summary>
    public required AnswerMode Mode { get; init; }

    /// <summary>Gets the number of evaluation items that have an answer in this set.</summary>
    public int Answers { get; init; }

    /// <summary>Gets the number of self-refined outputs that could not be parsed, whose whole text became the answer.</summary>
    public int FellBack { get; init; }

    /// <summary>Gets the answers' average length in characters.</summary>
    public double? AverageLength { get; init; }

    /// <summary>Gets the pairwise result against the reference, or <see langword="null"/> (the baseline itself, or no judge).</summary>
    public PairwiseReport? Judge { get; init; }

    /// <summary>Gets the task accuracy over items with an expected answer, or <see langword="null"/> when none has one.</summary>
    public AccuracyReport? Accuracy { get; init; }
}
