namespace Srt;

/// <summary>What stage 1 (learning from the critic) did. Counts cover the whole run directory unless they say "this run".</summary>
public sealed record StageOneResult : StageResult
{
    /// <summary>Gets the number of items that have a critique.</summary>
    public required int Critiqued { get; init; }

    /// <summary>Gets the number of items dropped because the critique lacked weaknesses, suggestions, a score or a refinement.</summary>
    public required int FilteredIncomplete { get; init; }

    /// <summary>Gets the number of items dropped because the separate scoring call gave the refinement no readable score.</summary>
    public required int FilteredRefinementUnscored { get; init; }

    /// <summary>Gets the number of items dropped because the refinement scored below the response.</summary>
    public required int FilteredRefinementWorse { get; init; }

    /// <summary>Gets the number of items dropped because the response or refinement is empty or holds a line equal to a format heading.</summary>
    public required int FilteredUnformattable { get; init; }

    /// <summary>Gets the number of critic calls started in this run (critiques and refinement scores).</summary>
    public required int CriticCalls { get; init; }

    /// <summary>Gets the number of refiner calls started in this run.</summary>
    public required int RefinerCalls { get; init; }

    /// <summary>Gets the input tokens the critic and refiner reported in this run.</summary>
    public required long InputTokens { get; init; }

    /// <summary>Gets the output tokens the critic and refiner reported in this run.</summary>
    public required long OutputTokens { get; init; }

    /// <summary>
    /// Gets the batch reports of this run, one per round of batches (critiques, then refinement scores), when
    /// <see cref="SelfRefinementOptions.CritiqueInBatches"/> is set; otherwise empty.
    /// </summary>
    public IReadOnlyList<BatchCritiqueReport> BatchReports { get; init; } = [];
}
