using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Takes one stage-1 item from its response to its outcome: critique (feedback and refinement in one call), the
/// refiner when the critique held no refinement, the completeness filter, the separate feedback-blind scoring call,
/// the refinement-score filter and the training sequence. Each call's result is appended to its JSONL file as soon
/// as it arrives, and a stored result is never asked for again.
/// </summary>
internal sealed class StageOneItemProcessor : IDisposable
{
    private const int Stage = 1;
    private readonly ICritic _critic;
    private readonly IRefiner? _refiner;
    private readonly SelfRefinementFormat _format;
    private readonly SelfRefinementOptions _options;
    private readonly ILogger _logger;
    private readonly StoredCalls<CritiqueRecord> _critiques;
    private readonly StoredCalls<RefinementRecord> _refinements;
    private readonly StoredCalls<CritiqueRecord> _scores;
    private readonly ConcurrentDictionary<string, ExampleRecord> _examples = new(StringComparer.Ordinal);

    public StageOneItemProcessor(ICritic critic, IRefiner? refiner, SelfRefinementFormat format, SelfRefinementOptions options, string folder, ILogger logger)
    {
        _critic = critic;
        _refiner = refiner;
        _format = format;
        _options = options;
        _logger = logger;
        _critiques = new(Path.Combine(folder, RunLayout.CritiquesFileName), logger);
        _refinements = new(Path.Combine(folder, RunLayout.RefinementsFileName), logger);
        _scores = new(Path.Combine(folder, RunLayout.RefinementScoresFileName), logger);
        WarmRecordPath();
    }

    /// <summary>Counts the given items that have a critique, stored earlier or written in this run.</summary>
    public int CountCritiqued(IReadOnlyList<InstructionItem> items) =>
        items.Count(item => _critiques.Contains(item.Id));

    /// <summary>Gets the number of stored critic results not reused in this run because they judged another text.</summary>
    public int StaleResults => _critiques.Stale + _refinements.Stale + _scores.Stale;

    /// <summary>Gets the kept items' training sequences, in item order.</summary>
    public List<ExampleRecord> Examples(IReadOnlyList<InstructionItem> items) =>
        items.Where(item => _examples.ContainsKey(item.Id)).Select(item => _examples[item.Id]).ToList();

    public async Task ProcessAsync(InstructionItem item, ResponseRecord response, StageLedger ledger, CancellationToken cancellationToken)
    {
        string id = item.Id;
        bool mayCall = ledger.MayCall(id, _options.RetryFailedItems);
        var calls = new CriticCalls(id, ledger, cancellationToken);
        if (StageOneChecks.FormatProblem(_format, response.Response) is string problem)
        {
            // Checked before any critic call: such a response can never become a training sequence.
            ledger.Settle(id, ItemOutcome.Unformattable, StagePhase.Generating, problem);
            return;
        }

        var critiqueRequest = new CritiqueRequest(item.Instruction, response.Response) { IncludeImprovedResponse = true };
        CritiqueRecord? critique = await _critiques.RecallOrCallAsync(
            id,
            response.Response,
            ledger,
            mayCall,
            calls,
            StagePhase.Critiquing,
            () => _critic.CritiqueAsync(critiqueRequest, cancellationToken),
            result => CritiqueRecord.From(id, result, response.Response),
            made => LoopLog.Content(_logger, Stage, id, "critique", made.RawText)).ConfigureAwait(false);
        if (critique is null)
        {
            return;
        }

        Feedback feedback = critique.Feedback;
        string? refinement = StageOneChecks.NonBlank(critique.ImprovedResponse);
        if (refinement is null && feedback.IsComplete && _refiner is not null)
        {
            var refinementRequest = new RefinementRequest(item.Instruction, response.Response, feedback);
            RefinementRecord? stored = await _refinements.RecallOrCallAsync(
                id,
                response.Response,
                ledger,
                mayCall,
                calls,
                StagePhase.Refining,
                () => _refiner.RefineAsync(refinementRequest, cancellationToken),
                written => new RefinementRecord(id, written.Text ?? string.Empty, TokenCounts.From(written.Usage), StoredRecords.Digest(response.Response))).ConfigureAwait(false);
            if (stored is null)
            {
                return;
            }

            refinement = StageOneChecks.NonBlank(stored.Text);
        }

        if (!feedback.IsComplete || refinement is null)
        {
            ledger.Settle(id, ItemOutcome.Incomplete, StagePhase.Critiquing, StageOneChecks.MissingParts(feedback, refinement), feedback.Score);
            return;
        }

        int? refinementScore = null;
        if (_options.FilterByRefinementScore)
        {
            // Scored without the feedback: a critic that just wrote the feedback over-rates its own refinement.
            var scoreRequest = new CritiqueRequest(item.Instruction, refinement) { IncludeImprovedResponse = false };
            CritiqueRecord? score = await _scores.RecallOrCallAsync(
                id,
                refinement,
                ledger,
                mayCall,
                calls,
                StagePhase.Scoring,
                () => _critic.CritiqueAsync(scoreRequest, cancellationToken),
                result => CritiqueRecord.From(id, result, refinement),
            made => LoopLog.Content(_logger, Stage, id, "refinement score", made.RawText)).ConfigureAwait(false);
            if (score is null)
            {
                return;
            }

            refinementScore = score.Feedback.Score;
            if (refinementScore is null)
            {
                ledger.Settle(id, ItemOutcome.RefinementUnscored, StagePhase.Scoring, "the scoring call gave no readable score", feedback.Score);
                return;
            }

            if (refinementScore < feedback.Score)
            {
                ledger.Settle(id, ItemOutcome.RefinementWorse, StagePhase.Scoring, $"refinement scored {refinementScore} < response {feedback.Score}", feedback.Score, refinementScore);
                return;
            }
        }

        IReadOnlyList<SequenceSegment> completion;
        try
        {
            completion = _format.BuildCompletion(response.Response, feedback, refinement, refinementScore, _options.IncludeFeedbackInStageOne);
        }
        catch (ArgumentException exception)
        {
            ledger.Settle(id, ItemOutcome.Unformattable, StagePhase.Scoring, exception.Message, feedback.Score, refinementScore);
            return;
        }

        _examples[id] = new ExampleRecord(id, _options.SystemPrompt, item.Instruction, completion);
        ledger.Settle(id, ItemOutcome.Kept, _options.FilterByRefinementScore ? StagePhase.Scoring : StagePhase.Critiquing, null, feedback.Score, refinementScore);
    }

    /// <summary>
    /// Runs the parse-and-serialize path once on a sample before any paid answer arrives: its first run costs tens of
    /// milliseconds of JIT and serializer set-up, and the first burst of answers would otherwise wait that long before
    /// reaching disk, where a kill loses them.
    /// </summary>
    private static void WarmRecordPath()
    {
        Critique sample = CritiqueParser.Parse("Weaknesses:\n- w\nSuggestions:\n- s\nOverall Score: [[5]]\n\n### Improved Response\nr");
        _ = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(CritiqueRecord.From("warm-up", sample, "r"), RunJson.Options);
        _ = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new RefinementRecord("warm-up", "r", null, StoredRecords.Digest("r")), RunJson.Options);
    }

    public void Dispose()
    {
        _critiques.Dispose();
        _refinements.Dispose();
        _scores.Dispose();
    }
}
