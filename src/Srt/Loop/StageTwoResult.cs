namespace Srt;

/// <summary>What stage 2 (learning from itself) did. Counts cover the whole run directory unless they say "this run".</summary>
public sealed record StageTwoResult
{
    /// <summary>Gets the number of items the stage was given.</summary>
    public required int Total { get; init; }

    /// <summary>Gets the number of items that have a policy output.</summary>
    public required int Generated { get; init; }

    /// <summary>Gets the number of items kept as preference pairs.</summary>
    public required int Kept { get; init; }

    /// <summary>Gets the number of outputs that lacked a part or a self-score, or were cut off at the token limit.</summary>
    public required int FilteredUnparseable { get; init; }

    /// <summary>Gets the number of items whose refinement self-scored below the response.</summary>
    public required int FilteredNotImproved { get; init; }

    /// <summary>Gets the number of items whose two self-scores were equal (dropped unless ties are kept).</summary>
    public required int Ties { get; init; }

    /// <summary>Gets the items whose generation threw, with the reason.</summary>
    public required IReadOnlyList<ItemFailure> Failures { get; init; }

    /// <summary>Gets the number of outputs the policy generated in this run.</summary>
    public required int GeneratedThisRun { get; init; }

    /// <summary>Gets the tokens the policy reported generating in this run.</summary>
    public required long CompletionTokens { get; init; }

    /// <summary>Gets the number of parsed outputs with both self-scores.</summary>
    public required int ScoredItems { get; init; }

    /// <summary>Gets the policy's average self-score of its responses over <see cref="ScoredItems"/>.</summary>
    public required double? AverageResponseScore { get; init; }

    /// <summary>Gets the policy's average self-score of its refinements over <see cref="ScoredItems"/>.</summary>
    public required double? AverageRefinementScore { get; init; }

    /// <summary>Gets the training summary, or <see langword="null"/> when no pair was kept.</summary>
    public required TrainingResult? Training { get; init; }

    /// <summary>Gets a value indicating whether training was skipped because an earlier run finished it.</summary>
    public required bool TrainingResumed { get; init; }

    /// <summary>Gets the number of items that failed.</summary>
    public int Failed => Failures.Count;
}
