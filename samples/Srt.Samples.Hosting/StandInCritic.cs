using System.Globalization;

namespace Srt.Samples.Hosting;

/// <summary>A rule-based stand-in critic (no model): longer answers score higher; the improved response adds a reason.</summary>
internal sealed class StandInCritic : ICritic
{
    public static int Score(string response) =>
        Math.Clamp(2 + (response.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length / 3), Feedback.MinScore, Feedback.MaxScore);

    public static string Improve(string response) => $"{response} The physical cause is well understood and can be stated in one clause.";

    public static Feedback FeedbackOn(string response)
    {
        int score = Score(response);
        string text = string.Create(CultureInfo.InvariantCulture, $"Weaknesses:\n- It gives no cause.\n\nSuggestions:\n- State the cause.\n\nOverall Score: [[{score}]]");
        return new Feedback(text, ["It gives no cause."], ["State the cause."], score);
    }

    public Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        var feedback = FeedbackOn(request.Response);
        string? improved = request.IncludeImprovedResponse ? Improve(request.Response) : null;
        return Task.FromResult(new Critique(feedback, improved, feedback.Text + (improved is null ? string.Empty : "\n\n### Improved Response\n" + improved)));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
}
