namespace Srt;

/// <summary>What stage 1 (learning from the critic) did. Counts cover the whole run directory unless they say "this run".</summary>
public sealed record StageOneResult
{
    /// <summary>Gets the number of items the stage was given.</summary>
    public required int Total { get; init; }

    /// <summary>Gets the number of items that have a policy response.</summary>
    public required int Generated { get; init; }

    /// <summary>Gets the number of items that have a critique.</summary>
    public required int Critiqued { get; init; }

    /// <summary>Gets the number of items kept as training examples.</summary>
    public required int Kept { get; init; }

    /// <summary>Gets the number of items dropped because the critique lacked weaknesses, suggestions, a score or a refinement.</summary>
    public required int FilteredIncomplete { get; init; }

    /// <summary>Gets the number of items dropped because the separate scoring call gave the refinement no readable score.</summary>
    public required int FilteredRefinementUnscored { get; init; }

    /// <summary>Gets the number of items dropped because the refinement scored below the response.</summary>
    public required int FilteredRefinementWorse { get; init; }

    /// <summary>Gets the number of items dropped because the response or refinement is empty or holds a line equal to a format heading.</summary>
    public required int FilteredUnformattable { get; init; }

    /// <summary>Gets the items whose model call threw, with the reason.</summary>
    public required IReadOnlyList<ItemFailure> Failures { get; init; }

    /// <summary>Gets the number of responses the policy generated in this run.</summary>
    public required int GeneratedThisRun { get; init; }

    /// <summary>Gets the number of critic calls started in this run (critiques and refinement scores).</summary>
    public required int CriticCalls { get; init; }

    /// <summary>Gets the number of refiner calls started in this run.</summary>
    public required int RefinerCalls { get; init; }

    /// <summary>Gets the input tokens the critic and refiner reported in this run.</summary>
    public required long InputTokens { get; init; }

    /// <summary>Gets the output tokens the critic and refiner reported in this run.</summary>
    public required long OutputTokens { get; init; }

    /// <summary>Gets the number of items with both a response score and a refinement score.</summary>
    public required int ScoredItems { get; init; }

    /// <summary>Gets the critic's average score of the responses over <see cref="ScoredItems"/> (the paper: 5.42).</summary>
    public required double? AverageResponseScore { get; init; }

    /// <summary>Gets the critic's average score of the refinements over <see cref="ScoredItems"/> (the paper: 6.93).</summary>
    public required double? AverageRefinementScore { get; init; }

    /// <summary>Gets the training summary, or <see langword="null"/> when no example was kept.</summary>
    public required TrainingResult? Training { get; init; }

    /// <summary>Gets a value indicating whether training was skipped because an earlier run finished it.</summary>
    public required bool TrainingResumed { get; init; }

    /// <summary>
    /// Gets the batch reports of this run, one per round of batches (critiques, then refinement scores), when
    /// <see cref="SelfRefinementOptions.CritiqueInBatches"/> is set; otherwise empty.
    /// </summary>
    public IReadOnlyList<BatchCritiqueReport> BatchReports { get; init; } = [];

    /// <summary>Gets the number of items that failed.</summary>
    public int Failed => Failures.Count;
}
