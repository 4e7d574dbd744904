using Microsoft.Extensions.AI;

namespace Srt.Samples.Hosting;

/// <summary>
/// An in-process stand-in for the policy (no model): it answers tersely, and once stage 1 has "trained" it writes
/// response, feedback and refinement in one pass as a stage-1-trained model does. Replace it with a
/// <c>TorchSharpPolicyModel</c> through <c>WithPolicy</c> for real training (see README.md).
/// </summary>
internal sealed class StandInPolicy(SelfRefinementOptions options) : IPolicyModel
{
    // A restart after stage-1 training must start from the "trained" policy, as a real checkpoint would.
    public bool LearnedToSelfRefine { get; set; } =
        options.RunDirectory is not null && File.Exists(Path.Combine(options.RunDirectory, "stage1", "training.done.json"));

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
