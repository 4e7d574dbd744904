namespace Srt.TorchSharp.Generation;

/// <summary>What one generation call runs: the prompts, shared settings, and what may differ per prompt.</summary>
/// <param name="Prompts">Token ids of each prompt.</param>
/// <param name="Options">Sampling settings shared by all prompts.</param>
/// <param name="RowSeeds">The seed of each prompt's sampling generator.</param>
internal sealed record GenerationPlan(IReadOnlyList<IReadOnlyList<int>> Prompts, GenerationOptions Options, IReadOnlyList<long> RowSeeds)
{
    /// <summary>Gets the largest number of new tokens per prompt, replacing <see cref="GenerationOptions.MaxNewTokens"/>
    /// (a benchmark imposes drawn output lengths this way); null to use the options' value for all.</summary>
    public IReadOnlyList<int>? RowMaxNewTokens { get; init; }

    /// <summary>Gets a sequence limit (prompt plus completion) below the model's, or null for the model's.</summary>
    public int? MaxSequenceTokens { get; init; }

    /// <summary>Gets how error messages name <see cref="MaxSequenceTokens"/>.</summary>
    public string LimitName { get; init; } = "the sequence limit";
}
