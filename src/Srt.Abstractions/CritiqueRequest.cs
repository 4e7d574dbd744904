namespace Srt;

/// <summary>What a critic is asked to judge.</summary>
/// <param name="Instruction">The instruction the response answers.</param>
/// <param name="Response">The response to critique.</param>
public sealed record CritiqueRequest(string Instruction, string Response)
{
    /// <summary>
    /// Gets a value indicating whether the critic should also write an improved response.
    /// Set it to <see langword="false"/> to score a refinement in a call that does not see earlier feedback.
    /// </summary>
    public bool IncludeImprovedResponse { get; init; } = true;
}
