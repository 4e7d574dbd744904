using Srt.Testing;

namespace Srt.TorchSharp.Tests.Loop;

/// <summary>What the TorchSharp loop tests share.</summary>
internal static class LoopFixtures
{
    /// <summary>Critiques every response 4 with a refinement, and scores every refinement 7; records every call.</summary>
    public static TestCritic FixedCritic() => new()
    {
        CritiqueAsyncCallback = (request, _) =>
        {
            int score = request.IncludeImprovedResponse ? 4 : 7;
            return Task.FromResult(new Critique(Feedback(score), request.IncludeImprovedResponse ? request.Response + " (improved)" : null, $"score {score}"));
        },
    };

    /// <summary>The critique text and parts for <paramref name="score"/>.</summary>
    public static Feedback Feedback(int score) =>
        new($"Weaknesses:\n- too short\nSuggestions:\n- add detail\nOverall Score: [[{score}]]", ["too short"], ["add detail"], score);
}
