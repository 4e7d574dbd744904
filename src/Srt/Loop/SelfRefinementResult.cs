namespace Srt;

/// <summary>What both stages of <see cref="SelfRefinementLoop.RunAsync"/> did.</summary>
/// <param name="StageOne">The stage-1 summary.</param>
/// <param name="StageTwo">The stage-2 summary.</param>
public sealed record SelfRefinementResult(StageOneResult StageOne, StageTwoResult StageTwo);
