namespace Srt;

/// <summary>Settings for <see cref="ChatClientPolicyModel"/>.</summary>
public sealed class ChatClientPolicyModelOptions
{
    /// <summary>
    /// Gets or sets the largest number of requests in flight at once, over all calls of one policy model. A serving
    /// engine such as vLLM or SGLang batches concurrent requests itself (continuous batching), so this bound, not the
    /// loop's batch size, is what fills it; raise <see cref="SelfRefinementOptions.GenerationBatchSize"/> to match.
    /// </summary>
    /// <value>The default is 64.</value>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>
    /// Gets or sets the model id sent with each request; <see langword="null"/> leaves it to the client. For a
    /// vLLM server that serves a LoRA adapter, this is the adapter's name.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets the sampling settings used when a call passes none.</summary>
    /// <value>The default is a new <see cref="GenerationOptions"/> (temperature 0.7, up to 2,048 new tokens).</value>
    public GenerationOptions DefaultGenerationOptions { get; set; } = new();

    /// <summary>
    /// Gets or sets the retry settings; <see langword="null"/> adds no retries. When the chat client already
    /// contains a <see cref="RetryingChatClient"/>, no second one is added.
    /// </summary>
    /// <value>The default is a new <see cref="RetryOptions"/> (5 attempts, 1 s base delay, 60 s cap, jitter).</value>
    public RetryOptions? Retry { get; set; } = new();

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentException">A setting is missing or invalid.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentRequests, 1, nameof(MaxConcurrentRequests));
        if (ModelId is not null && string.IsNullOrWhiteSpace(ModelId))
        {
            throw new ArgumentException($"{nameof(ModelId)} must be null (the client's model) or name a model.", nameof(ModelId));
        }

        if (DefaultGenerationOptions is null)
        {
            throw new ArgumentException($"{nameof(DefaultGenerationOptions)} must be set.", nameof(DefaultGenerationOptions));
        }

        ChatClientPolicyModel.ValidateGeneration(DefaultGenerationOptions, nameof(DefaultGenerationOptions) + ".");
        Retry?.Validate();
    }
}
