using Srt.TorchSharp.Generation;

namespace Srt.TorchSharp;

/// <summary>Settings of a <see cref="TorchSharpPolicyModel"/>.</summary>
public sealed class TorchSharpPolicyModelOptions
{
    /// <summary>Gets or sets how many prompts are generated together: the number of slots with
    /// <see cref="GenerationBatching.Continuous"/>, the batch size with <see cref="GenerationBatching.Static"/>.</summary>
    /// <value>The default is 8.</value>
    public int BatchSize { get; set; } = 8;

    /// <summary>Gets or sets how prompts are grouped while generating.</summary>
    /// <value>The default is <see cref="GenerationBatching.Continuous"/>.</value>
    public GenerationBatching Batching { get; set; } = GenerationBatching.Continuous;

    /// <summary>
    /// Gets or sets the most tokens one sequence may hold, prompt included, or <see langword="null"/> for the model's
    /// <c>max_position_embeddings</c> (a smaller value never raises that limit). It bounds the KV cache: at most
    /// <see cref="BatchSize"/> × this many tokens are held at a time. A prompt that leaves no room for a new token fails
    /// alone (<see cref="CompletionFinishReason.Failed"/>); a completion that reaches the limit ends there with
    /// <see cref="CompletionFinishReason.Length"/>, even below <see cref="GenerationOptions.MaxNewTokens"/>.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public int? MaxSequenceTokens { get; set; }

    /// <summary>Gets or sets the sampling settings used when a call passes none.</summary>
    /// <value>The default is a new <see cref="GenerationOptions"/> (temperature 0.7, up to 2,048 new tokens).</value>
    public GenerationOptions DefaultGenerationOptions { get; set; } = new();

    internal void Validate()
    {
        if (BatchSize <= 0)
        {
            throw new ArgumentException($"TorchSharpPolicyModelOptions.BatchSize must be positive; got {BatchSize}.", nameof(BatchSize));
        }
        if (!Enum.IsDefined(Batching))
        {
            throw new ArgumentException($"TorchSharpPolicyModelOptions.Batching must be Continuous or Static; got {Batching}.", nameof(Batching));
        }
        if (MaxSequenceTokens is <= 1)
        {
            throw new ArgumentException(
                $"TorchSharpPolicyModelOptions.MaxSequenceTokens must be at least 2 (a prompt token and a new one) or null; got {MaxSequenceTokens}.",
                nameof(MaxSequenceTokens));
        }
        if (DefaultGenerationOptions is null)
        {
            throw new ArgumentException("TorchSharpPolicyModelOptions.DefaultGenerationOptions must not be null.", nameof(DefaultGenerationOptions));
        }
    }
}
