namespace Srt;

/// <summary>Writes an improved response given an instruction, a response and feedback on it.</summary>
public interface IRefiner
{
    /// <summary>Refines one response.</summary>
    /// <param name="request">The instruction, the response and the feedback to act on.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The improved response.</returns>
    Task<Refinement> RefineAsync(RefinementRequest request, CancellationToken cancellationToken = default);

    /// <summary>Asks for an object of the given type that this refiner holds or is.</summary>
    /// <param name="serviceType">The type of object being requested.</param>
    /// <param name="serviceKey">An optional key to identify the object.</param>
    /// <returns>The object, or <see langword="null"/> when this refiner has none.</returns>
    object? GetService(Type serviceType, object? serviceKey = null);
}
