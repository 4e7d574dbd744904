using System.Globalization;
using System.Text;

namespace Srt.Samples.Quickstart;

/// <summary>
/// The quickstart's strong critic: a rule that checks a sum exactly and writes the paper's critique — weaknesses
/// with the running totals that show where the answer goes wrong, an actionable suggestion, <c>Overall Score: [[N]]</c>
/// graded by how far off the answer is, and the improved response it computes. The text is parsed back with
/// <see cref="CritiqueParser"/>, the path a real critic's answer takes.
/// </summary>
internal sealed class SumCritic : ICritic, IRefiner
{
    /// <summary>Scores an answer: 10 when exact, less the further off it is, 1 when it gives no number.</summary>
    public static int Score(SumProblem problem, string response)
    {
        if (SumProblem.AnswerOf(response) is not int answer)
        {
            return Feedback.MinScore;
        }

        return Math.Abs(answer - problem.Sum) switch
        {
            0 => Feedback.MaxScore,
            1 => 5,
            2 => 4,
            <= 5 => 3,
            _ => 2,
        };
    }

    /// <summary>Writes the critique text, optionally with the improved response.</summary>
    public static string Write(SumProblem problem, string response, bool includeImprovedResponse)
    {
        int? answer = SumProblem.AnswerOf(response);
        int score = Score(problem, response);
        var text = new StringBuilder();
        text.Append("Weaknesses:\n- ");
        // The problem restated, then the running totals, then the verdict: a model that learns to write this feedback
        // copies the numbers next to where it adds them, and computes before it judges.
        text.Append(problem.Check).Append(", so the sum is ").Append(problem.Sum.ToString(CultureInfo.InvariantCulture));
        text.Append(answer == problem.Sum ? ", as given." : answer is int wrong ? $", not {wrong}." : "; no number was given.");
        text.Append("\nSuggestions:\n- ");
        text.Append(answer == problem.Sum ? "Keep the answer." : "Add one number at a time.");
        text.Append('\n').Append(SelfRefinementFormat.FormatScore(score));
        if (includeImprovedResponse)
        {
            text.Append("\n\n### Improved Response\n").Append(problem.Sum.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problem = SumProblem.Parse(request.Instruction);
        return Task.FromResult(CritiqueParser.Parse(Write(problem, request.Response, request.IncludeImprovedResponse)));
    }

    /// <inheritdoc />
    public Task<Refinement> RefineAsync(RefinementRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problem = SumProblem.Parse(request.Instruction);
        return Task.FromResult(new Refinement(problem.Sum.ToString(CultureInfo.InvariantCulture)));
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
