namespace Srt;

/// <summary>Thread-safe tallies of one stage run: item outcomes and model calls, for progress reports and results.</summary>
internal sealed class StageCounters(int stage)
{
    private int _generated;
    private int _generatedThisRun;
    private int _done;
    private int _kept;
    private int _filtered;
    private int _failed;
    private int _criticCalls;
    private int _refinerCalls;
    private long _inputTokens;
    private long _outputTokens;
    private long _totalTokens;
    private bool _anyTokens;

    public int Generated => Volatile.Read(ref _generated);

    public int GeneratedThisRun => Volatile.Read(ref _generatedThisRun);

    public int CriticCalls => Volatile.Read(ref _criticCalls);

    public int RefinerCalls => Volatile.Read(ref _refinerCalls);

    public long InputTokens => Interlocked.Read(ref _inputTokens);

    public long OutputTokens => Interlocked.Read(ref _outputTokens);

    public long? Tokens => Volatile.Read(ref _anyTokens) ? Interlocked.Read(ref _totalTokens) : null;

    public void AddGenerated(int count, bool thisRun)
    {
        Interlocked.Add(ref _generated, count);
        if (thisRun)
        {
            Interlocked.Add(ref _generatedThisRun, count);
        }
    }

    public void AddCriticCall() => Interlocked.Increment(ref _criticCalls);

    public void AddRefinerCall() => Interlocked.Increment(ref _refinerCalls);

    public void AddTokens(TokenCounts? usage)
    {
        if (usage is null)
        {
            return;
        }

        Interlocked.Add(ref _inputTokens, usage.Input ?? 0);
        Interlocked.Add(ref _outputTokens, usage.Output ?? 0);
        Interlocked.Add(ref _totalTokens, usage.Sum);
        Volatile.Write(ref _anyTokens, true);
        SrtTelemetry.Tokens(stage, usage.Input ?? 0, usage.Output ?? 0);
    }

    public void AddCompletionTokens(int? tokens)
    {
        if (tokens is int count)
        {
            Interlocked.Add(ref _outputTokens, count);
            Interlocked.Add(ref _totalTokens, count);
            Volatile.Write(ref _anyTokens, true);
        }
    }

    public void AddOutcome(ItemOutcome outcome)
    {
        Interlocked.Increment(ref _done);
        switch (outcome)
        {
            case ItemOutcome.Kept:
                Interlocked.Increment(ref _kept);
                break;
            case ItemOutcome.Failed:
                Interlocked.Increment(ref _failed);
                break;
            default:
                Interlocked.Increment(ref _filtered);
                break;
        }
    }

    public StageProgress Snapshot(StagePhase phase, int total, TrainingProgress? training = null) =>
        new(stage, phase, Volatile.Read(ref _done), total)
        {
            Generated = Generated,
            Kept = Volatile.Read(ref _kept),
            Filtered = Volatile.Read(ref _filtered),
            Failed = Volatile.Read(ref _failed),
            CriticCalls = CriticCalls,
            RefinerCalls = RefinerCalls,
            Tokens = Tokens,
            Training = training,
        };
}
