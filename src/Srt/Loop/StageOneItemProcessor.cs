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
    private readonly JsonlStore<CritiqueRecord> _critiqueStore;
    private readonly JsonlStore<RefinementRecord> _refinementStore;
    private readonly JsonlStore<CritiqueRecord> _scoreStore;
    private readonly Dictionary<string, CritiqueRecord> _critiques;
    private readonly Dictionary<string, RefinementRecord> _refinements;
    private readonly Dictionary<string, CritiqueRecord> _scores;
    private readonly ConcurrentDictionary<string, ExampleRecord> _examples = new(StringComparer.Ordinal);
    private int _newCritiques;
    private int _staleResults;

    public StageOneItemProcessor(ICritic critic, IRefiner? refiner, SelfRefinementFormat format, SelfRefinementOptions options, string folder, ILogger logger)
    {
        _critic = critic;
        _refiner = refiner;
        _format = format;
        _options = options;
        _logger = logger;
        _critiqueStore = new(Path.Combine(folder, "critiques.jsonl"), logger: logger);
        _refinementStore = new(Path.Combine(folder, "refinements.jsonl"), logger: logger);
        _scoreStore = new(Path.Combine(folder, "refinement-scores.jsonl"), logger: logger);
        _critiques = StoredRecords.ById(_critiqueStore, record => record.Id);
        _refinements = StoredRecords.ById(_refinementStore, record => record.Id);
        _scores = StoredRecords.ById(_scoreStore, record => record.Id);
        WarmRecordPath();
    }

    /// <summary>Counts the given items that have a critique, stored earlier or written in this run.</summary>
    public int CountCritiqued(IReadOnlyList<InstructionItem> items) =>
        items.Count(item => _critiques.ContainsKey(item.Id)) + Volatile.Read(ref _newCritiques);

    /// <summary>Gets the number of stored critic results not reused in this run because they judged another text.</summary>
    public int StaleResults => Volatile.Read(ref _staleResults);

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

        bool hadCritique = _critiques.TryGetValue(id, out CritiqueRecord? critique);
        if (!hadCritique || !critique!.Judges(response.Response))
        {
            CountStale(hadCritique);
            if (!mayCall)
            {
                ledger.SettleEarlierFailure(id);
                return;
            }

            var request = new CritiqueRequest(item.Instruction, response.Response) { IncludeImprovedResponse = true };
            Critique? result = await calls.RunAsync(StagePhase.Critiquing, () => _critic.CritiqueAsync(request, cancellationToken)).ConfigureAwait(false);
            if (result is null)
            {
                return;
            }

            critique = CritiqueRecord.From(id, result, response.Response);
            _critiqueStore.Append(critique);
            if (!hadCritique)
            {
                Interlocked.Increment(ref _newCritiques);
            }

            ledger.Counters.AddTokens(critique.Usage);
            LoopLog.Content(_logger, Stage, id, "critique", critique.RawText);
        }

        Feedback feedback = critique.Feedback;
        string? refinement = StageOneChecks.NonBlank(critique.ImprovedResponse);
        if (refinement is null && feedback.IsComplete && _refiner is not null)
        {
            bool hadRefinement = _refinements.TryGetValue(id, out RefinementRecord? stored);
            if (!hadRefinement || !stored!.Judges(response.Response))
            {
                CountStale(hadRefinement);
                if (!mayCall)
                {
                    ledger.SettleEarlierFailure(id);
                    return;
                }

                var request = new RefinementRequest(item.Instruction, response.Response, feedback);
                Refinement? written = await calls.RunAsync(StagePhase.Refining, () => _refiner.RefineAsync(request, cancellationToken)).ConfigureAwait(false);
                if (written is null)
                {
                    return;
                }

                stored = new RefinementRecord(id, written.Text ?? string.Empty, TokenCounts.From(written.Usage), StoredRecords.Digest(response.Response));
                _refinementStore.Append(stored);
                ledger.Counters.AddTokens(stored.Usage);
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
            bool hadScore = _scores.TryGetValue(id, out CritiqueRecord? score);
            if (!hadScore || !score!.Judges(refinement))
            {
                CountStale(hadScore);
                if (!mayCall)
                {
                    ledger.SettleEarlierFailure(id);
                    return;
                }

                // Scored without the feedback: a critic that just wrote the feedback over-rates its own refinement.
                var request = new CritiqueRequest(item.Instruction, refinement) { IncludeImprovedResponse = false };
                Critique? result = await calls.RunAsync(StagePhase.Scoring, () => _critic.CritiqueAsync(request, cancellationToken)).ConfigureAwait(false);
                if (result is null)
                {
                    return;
                }

                score = CritiqueRecord.From(id, result, refinement);
                _scoreStore.Append(score);
                ledger.Counters.AddTokens(score.Usage);
                LoopLog.Content(_logger, Stage, id, "refinement score", score.RawText);
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

    // A stored result for another text (its response was generated again) is not reused; counted for the log.
    private void CountStale(bool stored)
    {
        if (stored)
        {
            Interlocked.Increment(ref _staleResults);
        }
    }

    public void Dispose()
    {
        _critiqueStore.Dispose();
        _refinementStore.Dispose();
        _scoreStore.Dispose();
    }
}
