using Microsoft.Extensions.AI;

namespace Srt.Samples.Quickstart;

/// <summary>
/// A deterministic stand-in for the model being improved: before stage-1 training it answers tersely; after it, it
/// writes response, feedback with a self-score, and refinement in one pass, as a stage-1-trained model does.
/// </summary>
internal sealed class ScriptedPolicy : IPolicyModel
{
    public bool LearnedToSelfRefine { get; set; }

    public Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts,
        GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<PolicyCompletion> completions = prompts.Select(prompt => new PolicyCompletion(Answer(prompt[^1].Text))).ToList();
        return Task.FromResult(completions);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    private string Answer(string instruction)
    {
        string response = QuickstartData.Find(instruction).Terse;
        if (!LearnedToSelfRefine)
        {
            return response;
        }

        string refinement = RuleBasedCritic.Improve(instruction, response);
        if (refinement.Length == 0)
        {
            // Nothing to add: the model repeats itself, and its two self-scores tie.
            refinement = response;
        }

        return SelfRefinementFormat.Default.Format(response, RuleBasedCritic.FeedbackOn(response), refinement, RuleBasedCritic.Score(refinement));
    }
}
