using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Stage 1 over a run directory: sample responses, critique them (feedback and refinement in one call), filter,
/// score refinements in a separate call, build the training sequences and train. Each model call's result is
/// appended to its JSONL file as soon as it arrives, so a rerun makes only the calls still missing.
/// </summary>
internal sealed class StageOneRunner : IDisposable
{
    private const int Stage = 1;
    private readonly IPolicyModel _policy;
    private readonly ICritic _critic;
    private readonly IRefiner? _refiner;
    private readonly SelfRefinementFormat _format;
    private readonly SelfRefinementOptions _options;
    private readonly ILogger _logger;
    private readonly string _folder;
    private readonly JsonlStore<ResponseRecord> _responseStore;
    private readonly JsonlStore<CritiqueRecord> _critiqueStore;
    private readonly JsonlStore<RefinementRecord> _refinementStore;
    private readonly JsonlStore<CritiqueRecord> _scoreStore;
    private readonly Dictionary<string, ResponseRecord> _responses;
    private readonly Dictionary<string, CritiqueRecord> _critiques;
    private readonly Dictionary<string, RefinementRecord> _refinements;
    private readonly Dictionary<string, CritiqueRecord> _scores;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ExampleRecord> _examples = new(StringComparer.Ordinal);
    private int _critiqued;

    public StageOneRunner(IPolicyModel policy, ICritic critic, IRefiner? refiner, SelfRefinementFormat format, SelfRefinementOptions options, RunDirectory run, ILogger logger)
    {
        _format = format;
        _policy = policy;
        _critic = critic;
        _refiner = refiner;
        _options = options;
        _logger = logger;
        _folder = run.StageOne;
        _responseStore = new(Path.Combine(_folder, "responses.jsonl"), logger: logger);
        _critiqueStore = new(Path.Combine(_folder, "critiques.jsonl"), logger: logger);
        _refinementStore = new(Path.Combine(_folder, "refinements.jsonl"), logger: logger);
        _scoreStore = new(Path.Combine(_folder, "refinement-scores.jsonl"), logger: logger);
        _responses = StoredRecords.ById(_responseStore, record => record.Id);
        _critiques = StoredRecords.ById(_critiqueStore, record => record.Id);
        _refinements = StoredRecords.ById(_refinementStore, record => record.Id);
        _scores = StoredRecords.ById(_scoreStore, record => record.Id);
    }

    public async Task<StageOneResult> RunAsync(
        IReadOnlyList<InstructionItem> items,
        ITrainer trainer,
        IProgress<StageProgress>? progress,
        CancellationToken cancellationToken)
    {
        StoredRecords.CheckInstructions(items, _responses, record => record.Instruction, _responseStore.FilePath);
        using var ledger = new StageLedger(Stage, _folder, items, progress, _logger);
        var stored = items.Where(item => _responses.ContainsKey(item.Id)).ToList();
        var toGenerate = items.Where(item => !_responses.ContainsKey(item.Id) && ledger.MayCall(item.Id, _options.RetryFailedItems)).ToList();
        ledger.Counters.AddGenerated(stored.Count, thisRun: false);
        _critiqued = items.Count(item => _critiques.ContainsKey(item.Id));
        LoopLog.StageStarting(_logger, Stage, items.Count, stored.Count, toGenerate.Count, _folder);
        SettleItemsNotRetried(items, stored, toGenerate, ledger);

        await CritiqueWhileGeneratingAsync(stored, toGenerate, ledger, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<OutcomeRecord> outcomes = ledger.OrderedOutcomes();
        using (var outcomeStore = new JsonlStore<OutcomeRecord>(Path.Combine(_folder, "outcomes.jsonl"), logger: _logger))
        {
            outcomeStore.Rewrite(outcomes);
        }

        var examples = items.Where(item => _examples.ContainsKey(item.Id)).Select(item => _examples[item.Id]).ToList();
        using (var exampleStore = new JsonlStore<ExampleRecord>(Path.Combine(_folder, "examples.jsonl"), logger: _logger))
        {
            exampleStore.Rewrite(examples);
        }

        StageCounters counters = ledger.Counters;
        LoopLog.StageSettled(_logger, Stage, examples.Count, counters.Snapshot(Stage, StagePhase.Training, items.Count).Filtered, ledger.Count(ItemOutcome.Failed), items.Count, counters.CriticCalls);
        var training = new TrainingStep(Stage, _folder, counters, items.Count, progress, _logger);
        (TrainingResult? trained, bool resumed) = await training.RunAsync(
            "stage1",
            examples.Count,
            "supervised sequences",
            (relay, token) => trainer.TrainSupervisedAsync(
                new SupervisedTrainingRequest(examples.Select(ToSupervisedExample).ToList()) { OutputDirectory = training.OutputDirectory, Name = "stage1" },
                relay,
                token),
            cancellationToken).ConfigureAwait(false);
        ledger.Report(StagePhase.Completed);

        var scored = outcomes.Where(outcome => outcome.ResponseScore is not null && outcome.RefinementScore is not null).ToList();
        return new StageOneResult
        {
            Total = items.Count,
            Generated = counters.Generated,
            Critiqued = _critiqued,
            Kept = examples.Count,
            FilteredIncomplete = ledger.Count(ItemOutcome.Incomplete),
            FilteredRefinementUnscored = ledger.Count(ItemOutcome.RefinementUnscored),
            FilteredRefinementWorse = ledger.Count(ItemOutcome.RefinementWorse),
            FilteredUnformattable = ledger.Count(ItemOutcome.Unformattable),
            Failures = ledger.OrderedFailures(),
            GeneratedThisRun = counters.GeneratedThisRun,
            CriticCalls = counters.CriticCalls,
            RefinerCalls = counters.RefinerCalls,
            InputTokens = counters.InputTokens,
            OutputTokens = counters.OutputTokens,
            ScoredItems = scored.Count,
            AverageResponseScore = scored.Count == 0 ? null : scored.Average(outcome => outcome.ResponseScore!.Value),
            AverageRefinementScore = scored.Count == 0 ? null : scored.Average(outcome => outcome.RefinementScore!.Value),
            Training = trained,
            TrainingResumed = resumed,
        };
    }

    public void Dispose()
    {
        _responseStore.Dispose();
        _critiqueStore.Dispose();
        _refinementStore.Dispose();
        _scoreStore.Dispose();
    }

    private static void SettleItemsNotRetried(IReadOnlyList<InstructionItem> items, List<InstructionItem> stored, List<InstructionItem> toGenerate, StageLedger ledger)
    {
        var waiting = new HashSet<string>(stored.Concat(toGenerate).Select(item => item.Id), StringComparer.Ordinal);
        foreach (InstructionItem item in items.Where(item => !waiting.Contains(item.Id)))
        {
            ledger.SettleEarlierFailure(item.Id);
        }
    }

    /// <summary>Critiques stored responses at once and new ones as each generation batch lands, up to the concurrency bound.</summary>
    private async Task CritiqueWhileGeneratingAsync(List<InstructionItem> stored, List<InstructionItem> toGenerate, StageLedger ledger, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<InstructionItem>(new UnboundedChannelOptions { SingleWriter = true });
        foreach (InstructionItem item in stored)
        {
            channel.Writer.TryWrite(item);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task producer = GenerateAsync(toGenerate, channel.Writer, ledger, linked.Token);
        Exception? consumerError = null;
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentCriticCalls, CancellationToken = linked.Token };
            await Parallel.ForEachAsync(
                channel.Reader.ReadAllAsync(linked.Token),
                parallel,
                (item, token) => new ValueTask(ProcessItemAsync(item, ledger, token))).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            consumerError = exception;
            await linked.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (consumerError is not null)
        {
            // The producer stopped because the consumer did; the consumer's error is the one to report.
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (consumerError is not null)
        {
            ExceptionDispatchInfo.Throw(consumerError);
        }
    }

    private async Task GenerateAsync(List<InstructionItem> items, ChannelWriter<InstructionItem> writer, StageLedger ledger, CancellationToken cancellationToken)
    {
        try
        {
            var batches = new PolicyBatches(_policy, _options, Stage);
            await batches.GenerateAsync(
                items,
                async (item, completion) =>
                {
                    var record = new ResponseRecord(item.Id, item.Instruction, completion.Text, completion.FinishReason, completion.PromptTokens, completion.CompletionTokens);
                    _responseStore.Append(record);
                    lock (_responses)
                    {
                        _responses[item.Id] = record;
                    }

                    ledger.Counters.AddGenerated(1, thisRun: true);
                    LoopLog.Content(_logger, Stage, item.Id, "response", record.Response);
                    ledger.Report(StagePhase.Generating);
                    await writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                },
                (item, exception) => ledger.RecordFailure(item.Id, StagePhase.Generating, exception),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private ResponseRecord ResponseOf(string id)
    {
        lock (_responses)
        {
            return _responses[id];
        }
    }

    private async Task ProcessItemAsync(InstructionItem item, StageLedger ledger, CancellationToken cancellationToken)
    {
        string id = item.Id;
        ResponseRecord response = ResponseOf(id);
        bool mayCall = ledger.MayCall(id, _options.RetryFailedItems);
        var calls = new CriticCalls(id, ledger, cancellationToken);
        if (StageOneChecks.FormatProblem(_format, response.Response) is string problem)
        {
            // Checked before any critic call: such a response can never become a training sequence.
            ledger.Settle(id, ItemOutcome.Unformattable, StagePhase.Generating, problem);
            return;
        }

        if (!_critiques.TryGetValue(id, out CritiqueRecord? critique))
        {
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

            critique = CritiqueRecord.From(id, result);
            _critiqueStore.Append(critique);
            Interlocked.Increment(ref _critiqued);
            ledger.Counters.AddTokens(critique.Usage);
            LoopLog.Content(_logger, Stage, id, "critique", critique.RawText);
        }

        Feedback feedback = critique.Feedback;
        string? refinement = StageOneChecks.NonBlank(critique.ImprovedResponse);
        if (refinement is null && feedback.IsComplete && _refiner is not null)
        {
            if (!_refinements.TryGetValue(id, out RefinementRecord? stored))
            {
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

                stored = new RefinementRecord(id, written.Text ?? string.Empty, TokenCounts.From(written.Usage));
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
            if (!_scores.TryGetValue(id, out CritiqueRecord? score))
            {
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

                score = CritiqueRecord.From(id, result);
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

    private static SupervisedExample ToSupervisedExample(ExampleRecord example) =>
        new(example.Id, PolicyPrompt.Create(example.SystemPrompt, example.Instruction), example.Completion);
}
