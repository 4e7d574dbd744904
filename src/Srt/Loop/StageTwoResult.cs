namespace Srt;

/// <summary>What stage 2 (learning from itself) did. Counts cover the whole run directory unless they say "this run".</summary>
public sealed record StageTwoResult : StageResult
{
    /// <summary>Gets the number of outputs that lacked a part or a self-score, or were cut off at the token limit.</summary>
    public required int FilteredUnparseable { get; init; }

    /// <summary>Gets the number of items whose refinement self-scored below the response.</summary>
    public required int FilteredNotImproved { get; init; }

    /// <summary>Gets the number of items whose two self-scores were equal (dropped unless ties are kept).</summary>
    public required int Ties { get; init; }

    /// <summary>Gets the tokens the policy reported generating in this run.</summary>
    public required long CompletionTokens { get; init; }
}
