using Microsoft.Extensions.AI;

namespace Srt.Tests.TestDoubles;

/// <summary>Ready-made parsed critiques for scripted critics.</summary>
internal static class Critiques
{
    public static Feedback Feedback(int? score, bool weaknesses = true, bool suggestions = true) => new(
        $"Weak: too short.\nSuggest: add detail.\nOverall Score: [[{score}]]",
        weaknesses ? ["too short"] : [],
        suggestions ? ["add detail"] : [],
        score);

    public static Critique Complete(int score, string? improved, long? inputTokens = null, long? outputTokens = null) =>
        new(Feedback(score), improved, $"feedback, score {score}, improved: {improved}")
        {
            Usage = inputTokens is null ? null : new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens },
        };

    public static Critique ScoreOnly(int? score) => new(Feedback(score), null, $"score {score}");
}
