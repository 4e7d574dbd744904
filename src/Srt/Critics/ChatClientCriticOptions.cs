namespace Srt;

/// <summary>Settings for <see cref="ChatClientCritic"/>. The defaults follow the paper's GPT-4 Turbo critic.</summary>
public sealed class ChatClientCriticOptions
{
    /// <summary>Gets or sets the sampling temperature.</summary>
    /// <value>The default is 0, the paper's setting.</value>
    public float Temperature { get; set; }

    /// <summary>Gets or sets the largest number of tokens the critic may write per answer.</summary>
    /// <value>The default is 2,048, the paper's setting.</value>
    public int MaxOutputTokens { get; set; } = 2048;

    /// <summary>Gets or sets the model id sent with each request; <see langword="null"/> leaves it to the client.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets the prompt builder, whose requirement texts can be replaced.</summary>
    /// <value>The default is <see cref="CritiquePrompt.Default"/>.</value>
    public CritiquePrompt Prompt { get; set; } = CritiquePrompt.Default;

    /// <summary>
    /// Gets or sets the retry settings; <see langword="null"/> adds no retries. When the chat client already
    /// contains a <see cref="RetryingChatClient"/>, no second one is added.
    /// </summary>
    /// <value>The default is a new <see cref="RetryOptions"/> (5 attempts, 1 s base delay, 60 s cap, jitter).</value>
    public RetryOptions? Retry { get; set; } = new();

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Prompt"/> is <see langword="null"/>.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Temperature, nameof(Temperature));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOutputTokens, 1, nameof(MaxOutputTokens));
        ArgumentNullException.ThrowIfNull(Prompt, nameof(Prompt));
        Retry?.Validate();
    }
}
