namespace Srt;

/// <summary>Written feedback on a response: what is weak, what to do about it, and an overall score.</summary>
/// <param name="Text">The feedback as written, without the improved response.</param>
/// <param name="Weaknesses">The weaknesses found, one entry each.</param>
/// <param name="Suggestions">The actionable suggestions, one entry each.</param>
/// <param name="Score">The overall score from 1 to 10, or <see langword="null"/> when none could be read.</param>
public sealed record Feedback(
    string Text,
    IReadOnlyList<string> Weaknesses,
    IReadOnlyList<string> Suggestions,
    int? Score)
{
    /// <summary>The lowest score a critic may give.</summary>
    public const int MinScore = 1;

    /// <summary>The highest score a critic may give.</summary>
    public const int MaxScore = 10;

    /// <summary>Gets a value indicating whether weaknesses, suggestions and a score were all found.</summary>
    public bool IsComplete => Weaknesses.Count > 0 && Suggestions.Count > 0 && Score is not null;
}
