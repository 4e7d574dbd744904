using System.Collections.Concurrent;

namespace Srt.Tests.TestDoubles;

/// <summary>An <see cref="IRefiner"/> whose refinements come from a settable callback; records every request.</summary>
internal sealed class ScriptedRefiner : IRefiner
{
    public Func<RefinementRequest, Refinement> Refine { get; set; } = request => new Refinement("Refined: " + request.Response);

    public ConcurrentQueue<RefinementRequest> Requests { get; } = new();

    public Task<Refinement> RefineAsync(RefinementRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Enqueue(request);
        return Task.FromResult(Refine(request));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
}
