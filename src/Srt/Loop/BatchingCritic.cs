using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Stands in for the critic when stage 1 critiques in batches: each item's critique call waits here, and when every
/// item still in progress is waiting (or done), all waiting requests go to the <see cref="IBatchCritic"/> as one round.
/// The item processor is the same as in synchronous mode, so it writes the same records and applies the same filters.
/// </summary>
/// <remarks>
/// The first round holds every missing critique; items continue from their answers to the refinement scoring, which
/// forms the second round. Synchronous refiner calls in between simply delay the round until those items wait too.
/// A round lists its requests in the items' order, not in the order their tasks happened to ask, so the same items
/// always make the same request files: which lines share a batch (and so a batch's fate) never depends on timing.
/// </remarks>
internal sealed class BatchingCritic : ICritic
{
    // The processor's critic call carries no item id; the runner sets it for each item's task and it flows to the call.
    private static readonly AsyncLocal<string?> CurrentItemId = new();
    private readonly IBatchCritic _batchCritic;
    private readonly string _stateDirectory;
    private readonly ILogger _logger;
    private CancellationToken _runToken;
    private readonly Lock _gate = new();
    private readonly List<Waiting> _waiting = [];
    private readonly List<BatchCritiqueReport> _reports = [];
    private readonly List<Task> _rounds = [];
    private Dictionary<string, int> _rank = new(StringComparer.Ordinal);
    private int _active;

    public BatchingCritic(IBatchCritic batchCritic, string stateDirectory, ILogger logger)
    {
        _batchCritic = batchCritic;
        _stateDirectory = stateDirectory;
        _logger = logger;
    }

    /// <summary>Gets the report of each round sent so far.</summary>
    public IReadOnlyList<BatchCritiqueReport> Reports
    {
        get
        {
            lock (_gate)
            {
                return [.. _reports];
            }
        }
    }

    /// <summary>Names the item whose calls the current task makes.</summary>
    public static void SetCurrentItem(string id) => CurrentItemId.Value = id;

    /// <summary>Sets how many items are in progress, before any of them starts, so no round goes out before all have asked.</summary>
    /// <param name="itemIds">The ids of the items in progress, in the order of the run's items: each round follows it.</param>
    /// <param name="runToken">Stops the rounds: the batch critic's own wait is cancelled with the run, not with one item.</param>
    public void Start(IReadOnlyList<string> itemIds, CancellationToken runToken)
    {
        var rank = new Dictionary<string, int>(itemIds.Count, StringComparer.Ordinal);
        for (int index = 0; index < itemIds.Count; index++)
        {
            rank.TryAdd(itemIds[index], index);
        }

        lock (_gate)
        {
            _active = itemIds.Count;
            _rank = rank;
            _runToken = runToken;
        }
    }

    /// <summary>Marks one item as finished: the round goes out when the rest are all waiting.</summary>
    public void ItemFinished()
    {
        List<Waiting>? round;
        lock (_gate)
        {
            _active--;
            round = TakeRoundIfAllWaiting();
        }

        Send(round);
    }

    /// <summary>Waits until every round sent has settled its callers.</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_rounds);
        }
    }

    public Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string itemId = CurrentItemId.Value ?? throw new InvalidOperationException("A batched critique was asked for outside an item's task.");
        string kind = request.IncludeImprovedResponse ? "critique" : "score";
        var waiting = new Waiting(itemId, new BatchCritiqueRequest($"{itemId}:{kind}", request), new TaskCompletionSource<Critique>(TaskCreationOptions.RunContinuationsAsynchronously));
        List<Waiting>? round;
        lock (_gate)
        {
            _waiting.Add(waiting);
            round = TakeRoundIfAllWaiting();
        }

        Send(round);
        return waiting.Answer.Task.WaitAsync(cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    private List<Waiting>? TakeRoundIfAllWaiting()
    {
        if (_waiting.Count == 0 || _waiting.Count < _active)
        {
            return null;
        }

        // The items' order, whatever order their tasks arrived in (the thread pool decides that).
        List<Waiting> round = [.. _waiting.OrderBy(waiting => _rank.GetValueOrDefault(waiting.ItemId, int.MaxValue)).ThenBy(waiting => waiting.Request.Id, StringComparer.Ordinal)];
        _waiting.Clear();
        return round;
    }

    private void Send(List<Waiting>? round)
    {
        if (round is null)
        {
            return;
        }

        Task task = Task.Run(() => SendAsync(round));
        lock (_gate)
        {
            _rounds.Add(task);
        }
    }

    private async Task SendAsync(List<Waiting> round)
    {
        BatchCritiqueResult result;
        try
        {
            LoopLog.BatchRoundStarting(_logger, round.Count, round[0].Request.Request.IncludeImprovedResponse ? "critiques" : "refinement scores");
            result = await _batchCritic.CritiqueBatchAsync(round.Select(waiting => waiting.Request).ToList(), _stateDirectory, _runToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // The batch service itself failed (not one request): stop the run rather than record every item as
            // failed; what was submitted is in the state directory, and the rerun resumes it without paying again.
            Exception stop = exception is OperationCanceledException
                ? exception
                : UnrecoverableFailure.ToStop(exception, "batch critique")
                    ?? new UnrecoverableCallException("batch critique", $"the batch service failed ({exception.GetType().Name}: {exception.Message})", "the batch service's status and the connection", null, exception);
            foreach (Waiting waiting in round)
            {
                waiting.Answer.TrySetException(stop);
            }

            return;
        }

        lock (_gate)
        {
            _reports.Add(result.Report);
        }

        LoopLog.BatchRoundFinished(_logger, result.Report.Requests, result.Report.LinesCompleted, result.Report.RetriedSynchronously, result.Report.FinalFailures, result.Report.BatchesCreated, result.Report.BatchesResumed);
        foreach (Waiting waiting in round)
        {
            string id = waiting.Request.Id;
            if (result.Critiques.TryGetValue(id, out Critique? critique))
            {
                waiting.Answer.TrySetResult(critique);
            }
            else
            {
                string reason = result.Failures.TryGetValue(id, out string? failure) ? failure : "the batch critic returned neither an answer nor a failure";
                waiting.Answer.TrySetException(new InvalidOperationException($"The batch request '{id}' got no answer: {reason}"));
            }
        }
    }

    private sealed record Waiting(string ItemId, BatchCritiqueRequest Request, TaskCompletionSource<Critique> Answer);
}
