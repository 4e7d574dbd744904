using Microsoft.Extensions.AI;

namespace Srt.Samples.Hosting;

/// <summary>
/// An in-process stand-in for the policy (no model): it answers tersely, and once stage 1 has "trained" it writes
/// response, feedback and refinement in one pass as a stage-1-trained model does. Replace it with a
/// <c>TorchSharpPolicyModel</c> through <c>WithPolicy</c> for real training (see README.md).
/// </summary>
internal sealed class StandInPolicy : IPolicyModel
{
    // Set by the stand-in trainer, when it "trains" stage 1 and when the loop restores that training after a restart.
    public bool LearnedToSelfRefine { get; set; }

    public Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<PolicyCompletion> completions = prompts.Select(prompt => new PolicyCompletion(Answer(prompt[^1].Text))).ToList();
        return Task.FromResult(completions);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    private string Answer(string instruction)
    {
        string response = $"It just does ({instruction.Length % 7} reasons).";
        if (!LearnedToSelfRefine)
        {
            return response;
        }

        string refinement = StandInCritic.Improve(response);
        return SelfRefinementFormat.Default.Format(response, StandInCritic.FeedbackOn(response), refinement, StandInCritic.Score(refinement));
    }
}
