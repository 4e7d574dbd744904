using System.Collections.Concurrent;

namespace Srt.Tests.TestDoubles;

/// <summary>
/// An <see cref="ICritic"/> whose critiques come from a settable callback; records every request and the largest
/// number of calls in flight at once.
/// </summary>
internal sealed class ScriptedCritic : ICritic
{
    private int _inFlight;
    private int _maxInFlight;

    /// <summary>Gets or sets the critique of one request. The default gives the response 4 and writes a refinement the scoring call gives 7.</summary>
    public Func<CritiqueRequest, CancellationToken, Task<Critique>> CritiqueAsyncCallback { get; set; } =
        (request, _) => Task.FromResult(request.IncludeImprovedResponse
            ? Critiques.Complete(4, "Better: " + request.Response)
            : Critiques.ScoreOnly(7));

    /// <summary>Gets every request, in arrival order.</summary>
    public ConcurrentQueue<CritiqueRequest> Requests { get; } = new();

    /// <summary>Gets the largest number of calls that were in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Gets the number of requests that asked for a critique with a refinement.</summary>
    public int CritiqueCalls => Requests.Count(request => request.IncludeImprovedResponse);

    /// <summary>Gets the number of requests that only scored (the separate refinement-scoring call).</summary>
    public int ScoringCalls => Requests.Count(request => !request.IncludeImprovedResponse);

    public async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Enqueue(request);
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        try
        {
            return await CritiqueAsyncCallback(request, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Gets or sets the refiner this critic offers through <see cref="GetService"/>, as a critic that also refines does.</summary>
    public IRefiner? Refiner { get; set; }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType.IsInstanceOfType(this) ? this : serviceType == typeof(IRefiner) ? Refiner : null;
}
