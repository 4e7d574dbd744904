namespace Srt.Testing;

/// <summary>
/// An <see cref="ICritic"/> for tests: its critiques come from a settable callback, and it records every request,
/// in arrival order, and the largest number of calls in flight at once.
/// </summary>
/// <remarks>
/// By default it answers like an attentive critic: a critique request gets complete feedback scoring the
/// response 4 and the improved response <c>"Better: " + response</c>; a score-only request (the separate call that
/// scores a refinement) gets a score of 7. So a loop run against it keeps every item by default.
/// </remarks>
public sealed class TestCritic : ICritic
{
    /// <summary>The score the default callback gives a response it critiques.</summary>
    public const int DefaultResponseScore = 4;

    /// <summary>The score the default callback gives in a score-only call.</summary>
    public const int DefaultRefinementScore = 7;

    private int _inFlight;
    private int _maxInFlight;

    /// <summary>Initializes a new instance of the <see cref="TestCritic"/> class.</summary>
    public TestCritic()
    {
        CritiqueAsyncCallback = (request, _) => Task.FromResult(DefaultCritique(request));
        GetServiceCallback = DefaultGetServiceCallback;
    }

    /// <summary>Gets or sets what <see cref="CritiqueAsync"/> returns for a request.</summary>
    /// <value>The default answers with <see cref="DefaultCritique"/>. Keep it in a variable to fall back on it from your own callback.</value>
    public Func<CritiqueRequest, CancellationToken, Task<Critique>> CritiqueAsyncCallback { get; set; }

    /// <summary>Gets or sets what <see cref="GetService"/> returns.</summary>
    /// <value>The default returns this critic when asked, without a key, for a type it is; otherwise <see langword="null"/>.</value>
    public Func<Type, object?, object?> GetServiceCallback { get; set; }

    /// <summary>Gets every request received, in arrival order, recorded before the callback runs.</summary>
    public RecordedCalls<CritiqueRequest> Requests { get; } = new();

    /// <summary>Gets the number of requests that asked for a critique with an improved response.</summary>
    public int CritiqueCalls => Requests.Count(request => request.IncludeImprovedResponse);

    /// <summary>Gets the number of score-only requests (the separate call that scores a refinement).</summary>
    public int ScoringCalls => Requests.Count(request => !request.IncludeImprovedResponse);

    /// <summary>Gets the largest number of calls that were in flight at once, to check concurrency limits.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Answers the way the default callback does; a custom callback can call it for the requests it does not script.</summary>
    /// <param name="request">The request.</param>
    /// <returns>Complete feedback scoring the response 4 and <c>"Better: " + response</c>, or a score of 7 for a score-only request.</returns>
    public static Critique DefaultCritique(CritiqueRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.IncludeImprovedResponse
            ? ScriptedCritiques.Complete(DefaultResponseScore, "Better: " + request.Response)
            : ScriptedCritiques.ScoreOnly(DefaultRefinementScore);
    }

    /// <inheritdoc/>
    public async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Requests.Add(request);
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
            // Another call raised the maximum meanwhile: read it again.
        }

        try
        {
            return await CritiqueAsyncCallback(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return GetServiceCallback(serviceType, serviceKey);
    }

    private TestCritic? DefaultGetServiceCallback(Type serviceType, object? serviceKey) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
