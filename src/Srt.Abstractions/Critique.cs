using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>A critic's answer: feedback and, when asked for, an improved response.</summary>
/// <param name="Feedback">The parsed feedback.</param>
/// <param name="ImprovedResponse">The improved response (the refinement), or <see langword="null"/> when none was written.</param>
/// <param name="RawText">The critic's whole answer, as received.</param>
public sealed record Critique(Feedback Feedback, string? ImprovedResponse, string RawText)
{
    /// <summary>Gets the token counts the critic reported, when it reports them.</summary>
    public UsageDetails? Usage { get; init; }
}
