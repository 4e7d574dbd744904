namespace Srt;

/// <summary>A stage's settled outcomes and its training, as <see cref="StageLedger.SettleAndTrainAsync"/> leaves them.</summary>
/// <param name="Outcomes">Every item's outcome, in item order.</param>
/// <param name="Training">The training's summary, or <see langword="null"/> when nothing was kept.</param>
/// <param name="TrainingResumed">Whether an earlier run had finished the training.</param>
/// <param name="ScoredItems">The number of items with both a response and a refinement score.</param>
/// <param name="AverageResponseScore">The average response score over those items.</param>
/// <param name="AverageRefinementScore">The average refinement score over those items.</param>
internal sealed record StageSettlement(
    IReadOnlyList<OutcomeRecord> Outcomes,
    TrainingResult? Training,
    bool TrainingResumed,
    int ScoredItems,
    double? AverageResponseScore,
    double? AverageRefinementScore)
{
    public static StageSettlement From(IReadOnlyList<OutcomeRecord> outcomes, TrainingResult? training, bool resumed)
    {
        var scored = outcomes.Where(outcome => outcome.ResponseScore is not null && outcome.RefinementScore is not null).ToList();
        return new StageSettlement(
            outcomes,
            training,
            resumed,
            scored.Count,
            scored.Count == 0 ? null : scored.Average(outcome => outcome.ResponseScore!.Value),
            scored.Count == 0 ? null : scored.Average(outcome => outcome.RefinementScore!.Value));
    }
}
