using System.Text;
using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>
/// Builds the paper's critic prompt: one user message with the Markdown sections <c>### Instruction</c>,
/// <c>### Response</c>, <c>### Requirements</c> and <c>### Feedback</c>, after which the critic writes its feedback.
/// </summary>
/// <remarks>
/// The section headings are fixed because <see cref="CritiqueParser"/> relies on them; the requirement texts can be
/// replaced. A custom requirement text should keep asking for <c>Overall Score: [[N]]</c> and, for the critique with
/// improvement, for a <c>### Improved Response</c> heading, or the parser finds nothing.
/// </remarks>
public sealed class CritiquePrompt
{
    /// <summary>The requirements of the paper's one-call critique: feedback, score and an improved response.</summary>
    public const string DefaultCritiqueRequirements =
        "You are a meticulous evaluator. Judge the response above against the instruction only: do not invent "
        + "requirements that the instruction does not state, and do not reward or penalize anything the instruction "
        + "does not ask for.\n"
        + "1. Under the label \"Weaknesses:\", list the weaknesses of the response as a bulleted list.\n"
        + "2. Under the label \"Suggestions:\", list specific, actionable suggestions that would fix those weaknesses "
        + "as a bulleted list.\n"
        + "3. Rate the response on a scale of 1 to 10 and write the rating exactly in this form: "
        + "\"Overall Score: [[N]]\", for example \"Overall Score: [[5]]\".\n"
        + "4. Finally, under the heading \"### Improved Response\", write an improved response to the instruction "
        + "that follows your suggestions. Write only the improved response there, with no commentary.";

    /// <summary>The requirements of the score-only critique used to score a refinement without earlier feedback.</summary>
    public const string DefaultScoreOnlyRequirements =
        "You are a meticulous evaluator. Judge the response above against the instruction only: do not invent "
        + "requirements that the instruction does not state, and do not reward or penalize anything the instruction "
        + "does not ask for.\n"
        + "1. Under the label \"Weaknesses:\", list the weaknesses of the response as a bulleted list.\n"
        + "2. Under the label \"Suggestions:\", list specific, actionable suggestions as a bulleted list.\n"
        + "3. Rate the response on a scale of 1 to 10 and write the rating exactly in this form: "
        + "\"Overall Score: [[N]]\", for example \"Overall Score: [[5]]\".\n"
        + "Do not write an improved response.";

    /// <summary>The requirements of a refinement-only call, where the feedback was written elsewhere.</summary>
    public const string DefaultRefinementRequirements =
        "Write an improved response to the instruction that addresses the feedback above. Judge against the "
        + "instruction only and do not add requirements it does not state. Write the improved response under the "
        + "heading \"### Improved Response\", with no commentary before or after it.";

    /// <summary>Gets a prompt builder with the paper's requirement texts.</summary>
    public static CritiquePrompt Default { get; } = new();

    /// <summary>Gets the requirements for a critique that includes an improved response.</summary>
    /// <value>The default is <see cref="DefaultCritiqueRequirements"/>.</value>
    public string CritiqueRequirements { get; init; } = DefaultCritiqueRequirements;

    /// <summary>Gets the requirements for a critique without an improved response.</summary>
    /// <value>The default is <see cref="DefaultScoreOnlyRequirements"/>.</value>
    public string ScoreOnlyRequirements { get; init; } = DefaultScoreOnlyRequirements;

    /// <summary>Gets the requirements for a refinement-only call.</summary>
    /// <value>The default is <see cref="DefaultRefinementRequirements"/>.</value>
    public string RefinementRequirements { get; init; } = DefaultRefinementRequirements;

    /// <summary>Builds the critique prompt text.</summary>
    /// <param name="request">The instruction and response to critique.</param>
    /// <returns>The text of the single user message.</returns>
    public string BuildCritiqueText(CritiqueRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requirements = request.IncludeImprovedResponse ? CritiqueRequirements : ScoreOnlyRequirements;
        var text = new StringBuilder();
        AppendSection(text, "### Instruction", request.Instruction);
        AppendSection(text, "### Response", request.Response);
        AppendSection(text, "### Requirements", requirements);
        text.Append("### Feedback\n");
        return text.ToString();
    }

    /// <summary>Builds the critique prompt as one user message.</summary>
    /// <param name="request">The instruction and response to critique.</param>
    /// <returns>A list holding the single user message.</returns>
    public IReadOnlyList<ChatMessage> BuildCritique(CritiqueRequest request) =>
        [new ChatMessage(ChatRole.User, BuildCritiqueText(request))];

    /// <summary>
    /// Builds the refinement-only prompt text: <c>### Instruction</c>, <c>### Response</c>, <c>### Feedback</c>
    /// (the given feedback), <c>### Requirements</c>, then the <c>### Improved Response</c> heading to continue.
    /// </summary>
    /// <param name="request">The instruction, response and feedback.</param>
    /// <returns>The text of the single user message.</returns>
    public string BuildRefinementText(RefinementRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Feedback);
        var text = new StringBuilder();
        AppendSection(text, "### Instruction", request.Instruction);
        AppendSection(text, "### Response", request.Response);
        AppendSection(text, "### Feedback", request.Feedback.Text);
        AppendSection(text, "### Requirements", RefinementRequirements);
        text.Append("### Improved Response\n");
        return text.ToString();
    }

    /// <summary>Builds the refinement-only prompt as one user message.</summary>
    /// <param name="request">The instruction, response and feedback.</param>
    /// <returns>A list holding the single user message.</returns>
    public IReadOnlyList<ChatMessage> BuildRefinement(RefinementRequest request) =>
        [new ChatMessage(ChatRole.User, BuildRefinementText(request))];

    private static void AppendSection(StringBuilder text, string heading, string? body)
    {
        text.Append(heading).Append('\n');
        text.Append((body ?? string.Empty).Trim()).Append("\n\n");
    }
}
