using System.Globalization;

namespace Srt.Samples.Quickstart;

/// <summary>
/// A deterministic stand-in for a strong critic: it scores by length (longer answers with reasons score higher),
/// writes weaknesses and suggestions, and, when asked, an improved response that adds the missing detail.
/// </summary>
internal sealed class RuleBasedCritic : ICritic
{
    public static int Score(string response)
    {
        int words = response.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return Math.Clamp(2 + (words / 4), Feedback.MinScore, Feedback.MaxScore);
    }

    public static Feedback FeedbackOn(string response)
    {
        int score = Score(response);
        string[] weaknesses = [$"The answer is terse ({response.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length} words) and gives no reason."];
        string[] suggestions = ["Explain why the answer holds, with one concrete fact."];
        string text = string.Create(
            CultureInfo.InvariantCulture,
            $"Weaknesses:\n- {weaknesses[0]}\n\nSuggestions:\n- {suggestions[0]}\n\nOverall Score: [[{score}]]");
        return new Feedback(text, weaknesses, suggestions, score);
    }

    public static string Improve(string instruction, string response)
    {
        // An empty detail leaves no refinement (the incompleteness filter drops it); a detail shorter than the
        // answer replaces it, an over-eager edit that scores lower (the refinement-score filter drops it).
        string detail = QuickstartData.Find(instruction).Detail;
        return detail.Length == 0 ? string.Empty : detail.Length < response.Length ? detail : $"{response} {detail}";
    }

    public Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        Feedback feedback = FeedbackOn(request.Response);
        string? improved = request.IncludeImprovedResponse ? Improve(request.Instruction, request.Response) : null;

        return Task.FromResult(new Critique(feedback, improved, feedback.Text + (improved is null ? string.Empty : "\n\n### Improved Response\n" + improved)));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
}
