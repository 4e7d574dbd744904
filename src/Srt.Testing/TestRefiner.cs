namespace Srt.Testing;

/// <summary>
/// An <see cref="IRefiner"/> for tests: its refinements come from a settable callback, and it records every request
/// in arrival order.
/// </summary>
public sealed class TestRefiner : IRefiner
{
    /// <summary>Initializes a new instance of the <see cref="TestRefiner"/> class.</summary>
    public TestRefiner()
    {
        RefineAsyncCallback = (request, _) => Task.FromResult(new Refinement("Refined: " + request.Response));
        GetServiceCallback = DefaultGetServiceCallback;
    }

    /// <summary>Gets or sets what <see cref="RefineAsync"/> returns for a request.</summary>
    /// <value>The default returns the refinement <c>"Refined: " + response</c>.</value>
    public Func<RefinementRequest, CancellationToken, Task<Refinement>> RefineAsyncCallback { get; set; }

    /// <summary>Gets or sets what <see cref="GetService"/> returns.</summary>
    /// <value>The default returns this refiner when asked, without a key, for a type it is; otherwise <see langword="null"/>.</value>
    public Func<Type, object?, object?> GetServiceCallback { get; set; }

    /// <summary>Gets every request received, in arrival order, recorded before the callback runs.</summary>
    public RecordedCalls<RefinementRequest> Requests { get; } = new();

    /// <inheritdoc/>
    public Task<Refinement> RefineAsync(RefinementRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Requests.Add(request);
        return RefineAsyncCallback(request, cancellationToken);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return GetServiceCallback(serviceType, serviceKey);
    }

    private TestRefiner? DefaultGetServiceCallback(Type serviceType, object? serviceKey) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
