using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace Srt.Testing;

/// <summary>
/// Builds critiques in the paper's format for scripted critics: weaknesses and suggestions as bulleted lists under
/// <c>Weaknesses:</c> and <c>Suggestions:</c> labels, the score as <c>Overall Score: [[N]]</c> (N from 1 to 10), and
/// the improved response under a <c>### Improved Response</c> heading.
/// </summary>
/// <remarks>
/// The text each critique carries (<see cref="Feedback.Text"/> and <see cref="Critique.RawText"/>) is what a critic
/// following the paper's prompt writes, and it parses back to the same weaknesses, suggestions, score and improved
/// response. So the same critique can stand for a parsed answer (from a <see cref="TestCritic"/>) and for the raw
/// text of a chat model that plays the critic.
/// </remarks>
public static class ScriptedCritiques
{
    /// <summary>The weakness a scripted feedback lists when none are given.</summary>
    public const string DefaultWeakness = "The response is too short.";

    /// <summary>The suggestion a scripted feedback lists when none are given.</summary>
    public const string DefaultSuggestion = "Add detail.";

    /// <summary>Builds feedback whose text and parsed parts agree.</summary>
    /// <param name="score">The overall score from 1 to 10, or <see langword="null"/> for feedback without a score.</param>
    /// <param name="weaknesses">The weaknesses, one line each; <see langword="null"/> lists <see cref="DefaultWeakness"/>, empty lists none.</param>
    /// <param name="suggestions">The suggestions, one line each; <see langword="null"/> lists <see cref="DefaultSuggestion"/>, empty lists none.</param>
    /// <returns>The feedback; it is complete when it has weaknesses, suggestions and a score.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is outside 1 to 10.</exception>
    /// <exception cref="ArgumentException">An entry is blank or spans several lines.</exception>
    public static Feedback Feedback(int? score, IReadOnlyList<string>? weaknesses = null, IReadOnlyList<string>? suggestions = null)
    {
        weaknesses ??= [DefaultWeakness];
        suggestions ??= [DefaultSuggestion];
        if (score is int value)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Srt.Feedback.MinScore, nameof(score));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Srt.Feedback.MaxScore, nameof(score));
        }

        var text = new StringBuilder();
        AppendList(text, "Weaknesses:", weaknesses, nameof(weaknesses));
        AppendList(text, "Suggestions:", suggestions, nameof(suggestions));
        if (score is int written)
        {
            text.Append(CultureInfo.InvariantCulture, $"Overall Score: [[{written}]]");
        }

        return new Feedback(text.ToString().Trim(), [.. weaknesses.Select(entry => entry.Trim())], [.. suggestions.Select(entry => entry.Trim())], score);
    }

    /// <summary>
    /// Builds a critique with complete feedback (<see cref="DefaultWeakness"/>, <see cref="DefaultSuggestion"/> and
    /// the score) and the given improved response: what the paper's one-call critique returns.
    /// </summary>
    /// <param name="score">The overall score of the response, from 1 to 10.</param>
    /// <param name="improvedResponse">The improved response, or <see langword="null"/> for a critique that wrote none.</param>
    /// <param name="inputTokens">The prompt tokens to report in <see cref="Critique.Usage"/>, or <see langword="null"/> to report no usage.</param>
    /// <param name="outputTokens">The answer tokens to report in <see cref="Critique.Usage"/>.</param>
    /// <returns>The critique; its <see cref="Critique.RawText"/> is the answer in the paper's format.</returns>
    public static Critique Complete(int score, string? improvedResponse, long? inputTokens = null, long? outputTokens = null)
    {
        var critique = From(Feedback(score), improvedResponse);
        return inputTokens is null
            ? critique
            : critique with { Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens } };
    }

    /// <summary>
    /// Builds what a score-only call returns (the separate call that scores a refinement without seeing earlier
    /// feedback): feedback with the score and no improved response.
    /// </summary>
    /// <param name="score">The overall score from 1 to 10, or <see langword="null"/> for an answer without a readable score.</param>
    /// <returns>The critique.</returns>
    public static Critique ScoreOnly(int? score) => From(Feedback(score), improvedResponse: null);

    /// <summary>Builds a critique from feedback and an improved response, with the paper's text as its raw text.</summary>
    /// <param name="feedback">The feedback.</param>
    /// <param name="improvedResponse">The improved response, or <see langword="null"/> for none.</param>
    /// <returns>The critique.</returns>
    public static Critique From(Feedback feedback, string? improvedResponse) =>
        new(feedback, improvedResponse, Text(feedback, improvedResponse));

    /// <summary>
    /// Writes a critic's whole answer in the paper's format: the feedback text, then, when there is one, the
    /// <c>### Improved Response</c> heading and the improved response. Use it as the answer of a chat model that
    /// plays the critic.
    /// </summary>
    /// <param name="feedback">The feedback; its <see cref="Srt.Feedback.Text"/> is written as is.</param>
    /// <param name="improvedResponse">The improved response, or <see langword="null"/> for none.</param>
    /// <returns>The answer text.</returns>
    public static string Text(Feedback feedback, string? improvedResponse)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        return improvedResponse is null
            ? feedback.Text
            : $"{feedback.Text}\n\n### Improved Response\n{improvedResponse}";
    }

    private static void AppendList(StringBuilder text, string label, IReadOnlyList<string> entries, string parameterName)
    {
        if (entries.Count == 0)
        {
            return;
        }

        text.Append(label).Append('\n');
        foreach (var entry in entries)
        {
            if (string.IsNullOrWhiteSpace(entry) || entry.Contains('\n', StringComparison.Ordinal) || entry.Contains('\r', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Each entry must be one non-blank line; got \"{entry}\".", parameterName);
            }

            text.Append("- ").Append(entry.Trim()).Append('\n');
        }

        text.Append('\n');
    }
}
