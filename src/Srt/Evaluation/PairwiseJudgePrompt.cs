using System.Text;
using Microsoft.Extensions.AI;

namespace Srt.Evaluation;

/// <summary>
/// The judge prompt of <see cref="PairwiseJudge"/>, in the style of AlpacaEval's: a system message setting the
/// judge's role, then the instruction and two anonymous outputs, and a request to name the better one as
/// <c>[[A]]</c> or <c>[[B]]</c>. See docs/evaluation.md for the full text.
/// </summary>
public sealed class PairwiseJudgePrompt
{
    /// <summary>The default system message.</summary>
    public const string DefaultSystemMessage =
        "You are a careful, impartial evaluator of AI assistants. You compare two outputs written for the same "
        + "instruction and pick the one a thoughtful human would prefer.";

    /// <summary>The default task text, placed after the two outputs.</summary>
    public const string DefaultTask =
        "Decide which output is better. Judge how well each one follows the instruction and how helpful, correct, "
        + "relevant and clear it is. The order of the outputs says nothing about their quality, and a longer output "
        + "is not better for being longer. You must choose one; there are no ties.\n"
        + "Answer with the verdict only, exactly \"[[A]]\" if output A is better or \"[[B]]\" if output B is better.";

    /// <summary>Gets the prompt with the default texts.</summary>
    public static PairwiseJudgePrompt Default { get; } = new();

    /// <summary>Gets the system message.</summary>
    /// <value>The default is <see cref="DefaultSystemMessage"/>.</value>
    public string SystemMessage { get; init; } = DefaultSystemMessage;

    /// <summary>Gets the task text; it must ask for <c>[[A]]</c> or <c>[[B]]</c>, which is what the parser reads.</summary>
    /// <value>The default is <see cref="DefaultTask"/>.</value>
    public string Task { get; init; } = DefaultTask;

    /// <summary>Builds the user message's text.</summary>
    /// <param name="instruction">The instruction.</param>
    /// <param name="outputA">The output shown first.</param>
    /// <param name="outputB">The output shown second.</param>
    /// <returns>The text.</returns>
    public string BuildUserText(string instruction, string outputA, string outputB)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        ArgumentNullException.ThrowIfNull(outputA);
        ArgumentNullException.ThrowIfNull(outputB);
        var text = new StringBuilder();
        text.Append("## Instruction\n\n").Append(instruction.Trim()).Append("\n\n");
        text.Append("## Output A\n\n").Append(outputA.Trim()).Append("\n\n");
        text.Append("## Output B\n\n").Append(outputB.Trim()).Append("\n\n");
        text.Append("## Task\n\n").Append(Task.Trim()).Append("\n\n");
        text.Append("## Verdict\n");
        return text.ToString();
    }

    /// <summary>Builds the messages of one judge call.</summary>
    /// <param name="instruction">The instruction.</param>
    /// <param name="outputA">The output shown first.</param>
    /// <param name="outputB">The output shown second.</param>
    /// <returns>The system and user messages.</returns>
    public IReadOnlyList<ChatMessage> Build(string instruction, string outputA, string outputB) =>
    [
        new ChatMessage(ChatRole.System, SystemMessage),
        new ChatMessage(ChatRole.User, BuildUserText(instruction, outputA, outputB)),
    ];
}
