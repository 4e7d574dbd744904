using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// The results of one kind of stage-1 call (critiques, refinements or refinement scores) in their JSONL file: a
/// result stored for the exact text it judged is recalled, any other is asked for, appended to the file before it is
/// used, and remembered for the rest of the run.
/// </summary>
internal sealed class StoredCalls<TRecord> : IDisposable
    where TRecord : class, IJudgedRecord
{
    private readonly JsonlStore<TRecord> _store;
    private readonly ConcurrentDictionary<string, TRecord> _byId;
    private int _stale;

    public StoredCalls(string path, ILogger logger)
    {
        _store = new JsonlStore<TRecord>(path, logger: logger);
        _byId = new ConcurrentDictionary<string, TRecord>(StoredRecords.ById(_store, record => record.Id), StringComparer.Ordinal);
    }

    /// <summary>Gets the number of results that were not reused because they judged another text.</summary>
    public int Stale => Volatile.Read(ref _stale);

    /// <summary>Whether the item has a result, stored earlier or made in this run.</summary>
    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>
    /// Recalls the item's result for <paramref name="judgedText"/>, or makes the call and records its result. Returns
    /// <see langword="null"/> when the item was settled instead: it failed before and failures are not retried, or the
    /// call failed now (recorded by <paramref name="calls"/>). <paramref name="recorded"/> sees each new result once it is on disk.
    /// </summary>
    public async Task<TRecord?> RecallOrCallAsync<TResult>(
        string id,
        string judgedText,
        StageLedger ledger,
        bool mayCall,
        CriticCalls calls,
        StagePhase phase,
        Func<Task<TResult>> call,
        Func<TResult, TRecord> toRecord,
        Action<TRecord>? recorded = null)
        where TResult : class
    {
        bool had = _byId.TryGetValue(id, out TRecord? stored);
        if (had && stored!.Judges(judgedText))
        {
            return stored;
        }

        if (had)
        {
            Interlocked.Increment(ref _stale);
        }

        if (!mayCall)
        {
            ledger.SettleEarlierFailure(id);
            return null;
        }

        TResult? result = await calls.RunAsync(phase, call).ConfigureAwait(false);
        if (result is null)
        {
            return null;
        }

        TRecord record = toRecord(result);
        _store.Append(record);
        _byId[id] = record;
        ledger.Counters.AddTokens(record.Usage);
        recorded?.Invoke(record);
        return record;
    }

    public void Dispose() => _store.Dispose();
}
