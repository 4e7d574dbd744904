namespace Srt;

/// <summary>A progress report of one stage of <see cref="SelfRefinementLoop"/>.</summary>
/// <param name="Stage">The stage: 1 (learn from the critic) or 2 (learn from itself).</param>
/// <param name="Phase">The phase whose step just finished.</param>
/// <param name="ItemsDone">The items whose outcome is settled (kept, filtered or failed), this run and earlier ones.</param>
/// <param name="ItemsTotal">The items the stage was given.</param>
public sealed record StageProgress(int Stage, StagePhase Phase, int ItemsDone, int ItemsTotal)
{
    /// <summary>Gets the self-improvement round the report belongs to (from 1; <see cref="Stage"/> is then 2, whose
    /// steps a round repeats), or 0 for stages 1 and 2.</summary>
    public int Round { get; init; }

    /// <summary>Gets the number of items that have a policy response (stage 1) or output (stage 2).</summary>
    public int Generated { get; init; }

    /// <summary>Gets the number of items kept so far as training examples or preference pairs.</summary>
    public int Kept { get; init; }

    /// <summary>Gets the number of items dropped so far by a filter.</summary>
    public int Filtered { get; init; }

    /// <summary>Gets the number of items whose model call threw.</summary>
    public int Failed { get; init; }

    /// <summary>Gets the number of critic calls (critiques and refinement scores) started in this run; as
    /// <see cref="StageOneResult.CriticCalls"/>.</summary>
    public int CriticCalls { get; init; }

    /// <summary>Gets the number of separate refiner calls started in this run (for critiques that held no refinement);
    /// as <see cref="StageOneResult.RefinerCalls"/>.</summary>
    public int RefinerCalls { get; init; }

    /// <summary>Gets the number of tokens the critic (stage 1) or the policy (stage 2) reported in this run, when known.</summary>
    public long? Tokens { get; init; }

    /// <summary>Gets the trainer's latest report while <see cref="Phase"/> is <see cref="StagePhase.Training"/>.</summary>
    public TrainingProgress? Training { get; init; }
}
