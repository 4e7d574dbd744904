namespace Srt;

/// <summary>What a stage did, in the part both stages share. Counts cover the whole run directory unless they say "this run".</summary>
public abstract record StageResult
{
    /// <summary>Gets the number of items the stage was given.</summary>
    public required int Total { get; init; }

    /// <summary>Gets the number of items that have a policy answer (stage 1: a response; stage 2: an output).</summary>
    public required int Generated { get; init; }

    /// <summary>Gets the number of items kept for training (stage 1: examples; stage 2: preference pairs).</summary>
    public required int Kept { get; init; }

    /// <summary>Gets the items whose model call threw, with the reason.</summary>
    public required IReadOnlyList<ItemFailure> Failures { get; init; }

    /// <summary>Gets the number of answers the policy generated in this run.</summary>
    public required int GeneratedThisRun { get; init; }

    /// <summary>Gets the number of items with both a response score and a refinement score.</summary>
    public required int ScoredItems { get; init; }

    /// <summary>Gets the average score of the responses over <see cref="ScoredItems"/> (stage 1: the critic's, the paper's 5.42; stage 2: the policy's own).</summary>
    public required double? AverageResponseScore { get; init; }

    /// <summary>Gets the average score of the refinements over <see cref="ScoredItems"/> (stage 1: the critic's, the paper's 6.93; stage 2: the policy's own).</summary>
    public required double? AverageRefinementScore { get; init; }

    /// <summary>Gets the training summary, or <see langword="null"/> when nothing was kept.</summary>
    public required TrainingResult? Training { get; init; }

    /// <summary>Gets a value indicating whether training was skipped because an earlier run finished it.</summary>
    public required bool TrainingResumed { get; init; }

    /// <summary>Gets the number of items that failed.</summary>
    public int Failed => Failures.Count;
}
