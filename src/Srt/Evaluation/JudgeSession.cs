using Microsoft.Extensions.AI;

namespace Srt.Evaluation;

/// <summary>The thread-safe counters of one <see cref="PairwiseJudge.JudgeAsync"/> run.</summary>
internal sealed class JudgeSession(int total, IProgress<int>? progress)
{
    private int _calls;
    private int _cached;
    private int _settled;
    private long _inputTokens;
    private long _outputTokens;
    private UnrecoverableCallException? _stop;

    public int Calls => Volatile.Read(ref _calls);

    public int Cached => Volatile.Read(ref _cached);

    public long InputTokens => Interlocked.Read(ref _inputTokens);

    public long OutputTokens => Interlocked.Read(ref _outputTokens);

    public int Total => total;

    /// <summary>Gets the failure that stopped the run, if one did.</summary>
    public UnrecoverableCallException? Stop => Volatile.Read(ref _stop);

    /// <summary>Keeps the first failure that stops the run.</summary>
    public void SetStop(UnrecoverableCallException stop) => Interlocked.CompareExchange(ref _stop, stop, null);

    public void AddCall() => Interlocked.Increment(ref _calls);

    public void AddCached() => Interlocked.Increment(ref _cached);

    public void AddUsage(UsageDetails? usage)
    {
        Interlocked.Add(ref _inputTokens, usage?.InputTokenCount ?? 0);
        Interlocked.Add(ref _outputTokens, usage?.OutputTokenCount ?? 0);
    }

    public void ItemSettled() => progress?.Report(Interlocked.Increment(ref _settled));
}
