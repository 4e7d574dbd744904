namespace Srt;

/// <summary>Makes one item's model calls: counts each, and turns a call that throws (not by cancellation) into a recorded failure.</summary>
internal readonly struct CriticCalls(string id, StageLedger ledger, CancellationToken cancellationToken)
{
    /// <summary>Runs the call; returns <see langword="null"/> after recording the failure when it throws.</summary>
    public async Task<T?> RunAsync<T>(StagePhase phase, Func<Task<T>> call)
        where T : class
    {
        if (phase == StagePhase.Refining)
        {
            ledger.Counters.AddRefinerCall();
        }
        else
        {
            ledger.Counters.AddCriticCall();
        }

        try
        {
            return await call().ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The {(phase == StagePhase.Refining ? "refiner" : "critic")} returned null.");
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Transient errors were already retried inside the critic; what reaches here is recorded, and the run goes on.
            ledger.RecordFailure(id, phase, exception);
            return null;
        }
    }
}
