using Microsoft.Extensions.AI;

namespace Srt.Tests.Critics;

public class PolicyCriticTests
{
    [Fact]
    public async Task Critique_AsksPolicyWithCritiquePromptGreedy()
    {
        var policy = new ScriptedPolicy(new PolicyCompletion(
            "Weaknesses:\n- a\nSuggestions:\n- b\nOverall Score: [[6]]\n### Improved Response\nbetter", CompletionFinishReason.Stop, 100, 20));

        var critique = await new PolicyCritic(policy).CritiqueAsync(new CritiqueRequest("inst", "resp"));

        Assert.Equal(6, critique.Feedback.Score);
        Assert.Equal("better", critique.ImprovedResponse);
        Assert.Equal(120, critique.Usage?.TotalTokenCount);
        Assert.Equal(0f, policy.LastOptions?.Temperature);
        Assert.Equal(2048, policy.LastOptions?.MaxNewTokens);
        Assert.StartsWith("### Instruction\ninst", policy.LastPrompt?.Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Critique_CutOff_DropsImprovedResponse()
    {
        var policy = new ScriptedPolicy(new PolicyCompletion("Overall Score: 5\n### Improved Response\nbett", CompletionFinishReason.Length));

        var critique = await new PolicyCritic(policy).CritiqueAsync(new CritiqueRequest("i", "r"));

        Assert.Equal(5, critique.Feedback.Score);
        Assert.Null(critique.ImprovedResponse);
    }

    [Fact]
    public async Task Refine_ReturnsText()
    {
        var policy = new ScriptedPolicy(new PolicyCompletion("Better answer."));

        var refinement = await new PolicyCritic(policy).RefineAsync(new RefinementRequest("i", "r", new Feedback("f", [], [], 3)));

        Assert.Equal("Better answer.", refinement.Text);
        Assert.Null(refinement.Usage);
    }

    private sealed class ScriptedPolicy(PolicyCompletion completion) : IPolicyModel
    {
        public GenerationOptions? LastOptions { get; private set; }

        public IReadOnlyList<ChatMessage>? LastPrompt { get; private set; }

        public Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
            IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            LastOptions = options;
            LastPrompt = prompts.Single();
            return Task.FromResult<IReadOnlyList<PolicyCompletion>>([completion]);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
    }
}
