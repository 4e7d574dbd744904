namespace Srt;

/// <summary>
/// Writes feedback on a response to an instruction: weaknesses, suggestions and a 1–10 score, and, when asked,
/// an improved response in the same answer (the paper's one-call critique).
/// </summary>
public interface ICritic
{
    /// <summary>Critiques one response.</summary>
    /// <param name="request">The instruction, the response and what to ask for.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The parsed critique; parts the critic did not write are empty or <see langword="null"/>.</returns>
    Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default);

    /// <summary>Asks for an object of the given type that this critic holds or is, such as an inner critic.</summary>
    /// <param name="serviceType">The type of object being requested.</param>
    /// <param name="serviceKey">An optional key to identify the object.</param>
    /// <returns>The object, or <see langword="null"/> when this critic has none.</returns>
    object? GetService(Type serviceType, object? serviceKey = null);
}
