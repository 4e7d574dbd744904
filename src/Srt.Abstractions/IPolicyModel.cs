using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>
/// The model being improved. It answers batches of prompts; self-critique and self-refinement in stage 2
/// go through the same method, because a stage-1 model writes response, feedback and refinement in one pass.
/// </summary>
public interface IPolicyModel
{
    /// <summary>Generates one completion for each prompt, in the order given.</summary>
    /// <param name="prompts">The conversations to complete; each usually holds one user message with the instruction.</param>
    /// <param name="options">Sampling settings; <see langword="null"/> uses the model's defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One completion per prompt, in the same order.</returns>
    Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts,
        GenerationOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Asks for an object of the given type that this model holds or is, such as its tokenizer or trainer.</summary>
    /// <param name="serviceType">The type of object being requested.</param>
    /// <param name="serviceKey">An optional key to identify the object.</param>
    /// <returns>The object, or <see langword="null"/> when this model has none.</returns>
    object? GetService(Type serviceType, object? serviceKey = null);
}
