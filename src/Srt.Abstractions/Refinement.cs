using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>An improved response written by an <see cref="IRefiner"/>.</summary>
/// <param name="Text">The improved response.</param>
public sealed record Refinement(string Text)
{
    /// <summary>Gets the token counts the refiner reported, when it reports them.</summary>
    public UsageDetails? Usage { get; init; }
}
