namespace Srt;

/// <summary>Settings for <see cref="PolicyCritic"/>.</summary>
public sealed class PolicyCriticOptions
{
    /// <summary>Gets or sets the prompt builder.</summary>
    /// <value>The default is <see cref="CritiquePrompt.Default"/>.</value>
    public CritiquePrompt Prompt { get; set; } = CritiquePrompt.Default;

    /// <summary>Gets or sets the sampling settings for the self-critique.</summary>
    /// <value>The default is greedy decoding (temperature 0) with up to 2,048 new tokens, like the paper's critic.</value>
    public GenerationOptions Generation { get; set; } = new() { Temperature = 0f, MaxNewTokens = 2048 };

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentNullException">A setting is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Prompt, nameof(Prompt));
        ArgumentNullException.ThrowIfNull(Generation, nameof(Generation));
        ArgumentOutOfRangeException.ThrowIfNegative(Generation.Temperature, nameof(Generation.Temperature));
        ArgumentOutOfRangeException.ThrowIfLessThan(Generation.MaxNewTokens, 1, nameof(Generation.MaxNewTokens));
    }
}
