namespace Srt;

/// <summary>
/// Makes one item's model calls: counts each, stops the run on a failure no retry can fix, and turns any other call
/// that throws (not by cancellation) into a recorded failure.
/// </summary>
internal readonly struct CriticCalls(string id, StageLedger ledger, CancellationToken cancellationToken)
{
    /// <summary>Runs the call; returns <see langword="null"/> after recording the failure when it throws.</summary>
    /// <exception cref="UnrecoverableCallException">The call failed in a way every later call would (wrong key, unknown model, …); nothing is recorded for the item.</exception>
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
            // Not the item's fault, so not its outcome: stop here, and the rerun after the fix does the work.
            if (UnrecoverableFailure.ToStop(exception, PhaseName(phase)) is { } stop)
            {
                throw stop;
            }

            // Transient errors were already retried inside the critic; what reaches here is recorded, and the run goes on.
            ledger.RecordFailure(id, phase, exception);
            return null;
        }
    }

    private static string PhaseName(StagePhase phase) => phase switch
    {
        StagePhase.Refining => "refinement",
        StagePhase.Scoring => "refinement scoring",
        _ => "critique",
    };
}
