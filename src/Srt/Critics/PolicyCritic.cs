using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>
/// A critic and refiner that asks the policy itself, with the same critique prompt a strong critic gets: a
/// separate self-critique call.
/// </summary>
/// <remarks>
/// Stage 2 does not need this: a stage-1-trained policy writes response, feedback and refinement in one pass
/// (<see cref="SelfRefinementFormat"/>). Use this class to compare self-feedback with a strong critic's, or to
/// self-critique with a model that was not trained in the one-pass format. An answer cut off at the token limit
/// keeps its feedback but loses its improved response, as with <see cref="ChatClientCritic"/>.
/// </remarks>
public sealed class PolicyCritic : ICritic, IRefiner
{
    private readonly IPolicyModel _policy;
    private readonly PolicyCriticOptions _options;

    /// <summary>Initializes a new instance of the <see cref="PolicyCritic"/> class.</summary>
    /// <param name="policy">The policy model that critiques its own responses.</param>
    /// <param name="options">The settings; <see langword="null"/> uses the defaults.</param>
    public PolicyCritic(IPolicyModel policy, PolicyCriticOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
        _options = options ?? new PolicyCriticOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var completion = await GenerateAsync(_options.Prompt.BuildCritique(request), cancellationToken).ConfigureAwait(false);
        var critique = CritiqueParser.Parse(completion.Text);
        if (completion.FinishReason == CompletionFinishReason.Length)
        {
            critique = critique with { ImprovedResponse = null };
        }

        return critique with { Usage = ToUsage(completion) };
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The answer was cut off or empty.</exception>
    public async Task<Refinement> RefineAsync(RefinementRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var completion = await GenerateAsync(_options.Prompt.BuildRefinement(request), cancellationToken).ConfigureAwait(false);
        if (completion.FinishReason == CompletionFinishReason.Length)
        {
            throw new InvalidOperationException(
                $"The policy's refinement was cut off at {_options.Generation.MaxNewTokens} new tokens; raise {nameof(PolicyCriticOptions)}.{nameof(PolicyCriticOptions.Generation)}.{nameof(GenerationOptions.MaxNewTokens)}.");
        }

        string text = CritiqueParser.Parse(completion.Text).ImprovedResponse ?? completion.Text.Trim();
        return text.Length == 0
            ? throw new InvalidOperationException("The policy answered the refinement request with no text.")
            : new Refinement(text) { Usage = ToUsage(completion) };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _policy.GetService(serviceType, serviceKey);
    }

    private async Task<PolicyCompletion> GenerateAsync(IReadOnlyList<ChatMessage> prompt, CancellationToken cancellationToken)
    {
        var completions = await _policy.GenerateAsync([prompt], _options.Generation, cancellationToken).ConfigureAwait(false);
        return completions.Count == 1
            ? completions[0]
            : throw new InvalidOperationException($"The policy returned {completions.Count} completions for 1 prompt.");
    }

    private static UsageDetails? ToUsage(PolicyCompletion completion) =>
        completion.PromptTokens is null && completion.CompletionTokens is null
            ? null
            : new UsageDetails
            {
                InputTokenCount = completion.PromptTokens,
                OutputTokenCount = completion.CompletionTokens,
                TotalTokenCount = (completion.PromptTokens ?? 0) + (completion.CompletionTokens ?? 0),
            };
}
