using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Keeps the outcome of every item of one stage run, appends failures to the stage's <c>failures.jsonl</c> as they
/// happen, and reports progress after each settled item.
/// </summary>
internal sealed class StageLedger : IDisposable
{
    private readonly int _stage;
    private readonly string _stageFolder;
    private readonly IReadOnlyList<InstructionItem> _items;
    private readonly JsonlStore<FailureRecord> _failureStore;
    private readonly Dictionary<string, FailureRecord> _earlierFailures;
    private readonly ConcurrentDictionary<string, OutcomeRecord> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ItemFailure> _failures = new(StringComparer.Ordinal);
    private readonly IProgress<StageProgress>? _progress;
    private readonly ILogger _logger;

    public StageLedger(int stage, string stageFolder, IReadOnlyList<InstructionItem> items, IProgress<StageProgress>? progress, ILogger logger)
    {
        _stage = stage;
        _stageFolder = stageFolder;
        Counters = new StageCounters(stage);
        _items = items;
        _progress = progress;
        _logger = logger;
        _failureStore = new JsonlStore<FailureRecord>(Path.Combine(stageFolder, RunLayout.FailuresFileName), logger: logger);
        _earlierFailures = new Dictionary<string, FailureRecord>(StringComparer.Ordinal);
        foreach (FailureRecord failure in _failureStore.ReadAll())
        {
            _earlierFailures[failure.Id] = failure;
        }
    }

    public StageCounters Counters { get; }

    public int Total => _items.Count;

    /// <summary>Returns whether a model call for the item may be made: always, unless it failed before and failures are not retried.</summary>
    public bool MayCall(string id, bool retryFailedItems) => retryFailedItems || !_earlierFailures.ContainsKey(id);

    /// <summary>Settles an item that needs a call it may not make, with the reason of its earlier failure.</summary>
    public void SettleEarlierFailure(string id)
    {
        FailureRecord earlier = _earlierFailures[id];
        _failures[id] = new ItemFailure(id, earlier.Phase, earlier.Reason);
        Settle(id, ItemOutcome.Failed, earlier.Phase, earlier.Reason);
    }

    /// <summary>Records a failed model call and settles the item as failed; the run goes on.</summary>
    public void RecordFailure(string id, StagePhase phase, Exception exception)
    {
        string reason = $"{exception.GetType().Name}: {exception.Message}";
        _failureStore.Append(new FailureRecord(id, phase, reason, exception.GetType().FullName, DateTimeOffset.UtcNow));
        _failures[id] = new ItemFailure(id, phase, reason);
        LoopLog.ItemFailed(_logger, _stage, id, phase, reason);
        Settle(id, ItemOutcome.Failed, phase, reason);
    }

    public void Settle(string id, ItemOutcome outcome, StagePhase phase, string? reason = null, int? responseScore = null, int? refinementScore = null)
    {
        if (!_outcomes.TryAdd(id, new OutcomeRecord(id, outcome, reason, responseScore, refinementScore)))
        {
            throw new InvalidOperationException($"Item '{id}' was settled twice in stage {_stage}.");
        }

        Counters.AddOutcome(outcome);
        SrtTelemetry.Settled(_stage, outcome);
        LoopLog.ItemSettled(_logger, _stage, id, outcome, reason is null ? string.Empty : $" ({reason})");
        Report(phase);
    }

    public void Report(StagePhase phase) => _progress?.Report(Counters.Snapshot(phase, Total));

    /// <summary>Gets every item's outcome in item order; fails if an item was never settled (a bug, not bad input).</summary>
    public IReadOnlyList<OutcomeRecord> OrderedOutcomes() =>
        _items.Select(item => _outcomes.TryGetValue(item.Id, out OutcomeRecord? outcome)
            ? outcome
            : throw new InvalidOperationException($"Item '{item.Id}' has no outcome after stage {_stage}.")).ToList();

    public IReadOnlyList<ItemFailure> OrderedFailures() =>
        _items.Where(item => _failures.ContainsKey(item.Id)).Select(item => _failures[item.Id]).ToList();

    public int Count(ItemOutcome outcome) => _outcomes.Values.Count(record => record.Outcome == outcome);

    /// <summary>
    /// The tail both stages share once every item is settled: writes <c>outcomes.jsonl</c> and the kept records, logs
    /// the tally, runs (or restores) the stage's training, and reports the stage complete.
    /// </summary>
    /// <param name="keptFile">The file of kept records: <c>examples.jsonl</c> or <c>pairs.jsonl</c>.</param>
    /// <param name="kept">The kept records, in item order.</param>
    /// <param name="criticCalls">The critic calls of this run, for the log.</param>
    /// <param name="training">Runs the stage's training once.</param>
    /// <param name="startWeights">The identity of the weights the training starts from.</param>
    /// <param name="name">The training's name: <c>stage1</c> or <c>stage2</c>.</param>
    /// <param name="what">What is trained on, for the log.</param>
    /// <param name="train">Calls the trainer.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The outcomes in item order and the training's summary.</returns>
    public async Task<StageSettlement> SettleAndTrainAsync<TKept>(
        string keptFile,
        IReadOnlyList<TKept> kept,
        int criticCalls,
        TrainingStep training,
        string startWeights,
        string name,
        string what,
        Func<IProgress<TrainingProgress>, CancellationToken, Task<TrainingResult>> train,
        CancellationToken cancellationToken)
        where TKept : class
    {
        IReadOnlyList<OutcomeRecord> outcomes = OrderedOutcomes();
        using (var outcomeStore = new JsonlStore<OutcomeRecord>(Path.Combine(_stageFolder, RunLayout.OutcomesFileName), logger: _logger))
        {
            outcomeStore.Rewrite(outcomes);
        }

        using (var keptStore = new JsonlStore<TKept>(Path.Combine(_stageFolder, keptFile), logger: _logger))
        {
            keptStore.Rewrite(kept);
        }

        LoopLog.StageSettled(_logger, _stage, kept.Count, Counters.Snapshot(StagePhase.Training, Total).Filtered, Count(ItemOutcome.Failed), Total, criticCalls);
        (TrainingResult? trained, bool resumed) = await training.RunAsync(startWeights, name, kept.Count, what, train, cancellationToken).ConfigureAwait(false);
        Report(StagePhase.Completed);
        return StageSettlement.From(outcomes, trained, resumed);
    }

    public void Dispose() => _failureStore.Dispose();
}
