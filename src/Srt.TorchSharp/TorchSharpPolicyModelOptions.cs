namespace Srt.TorchSharp;

/// <summary>Settings of a <see cref="TorchSharpPolicyModel"/>.</summary>
public sealed class TorchSharpPolicyModelOptions
{
    /// <summary>Gets or sets how many prompts are generated together in one batch.</summary>
    /// <value>The default is 8.</value>
    public int BatchSize { get; set; } = 8;

    /// <summary>Gets or sets the sampling settings used when a call passes none.</summary>
    /// <value>The default is a new <see cref="GenerationOptions"/> (temperature 0.7, up to 2,048 new tokens).</value>
    public GenerationOptions DefaultGenerationOptions { get; set; } = new();

    internal void Validate()
    {
        if (BatchSize <= 0)
        {
            throw new ArgumentException($"TorchSharpPolicyModelOptions.BatchSize must be positive; got {BatchSize}.", nameof(BatchSize));
        }
        if (DefaultGenerationOptions is null)
        {
            throw new ArgumentException("TorchSharpPolicyModelOptions.DefaultGenerationOptions must not be null.", nameof(DefaultGenerationOptions));
        }
    }
}
