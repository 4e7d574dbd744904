namespace Srt;

/// <summary>Sampling settings for <see cref="IPolicyModel.GenerateAsync"/>.</summary>
public sealed class GenerationOptions
{
    /// <summary>Gets or sets the sampling temperature; 0 means greedy decoding.</summary>
    /// <value>The default is 0.7, the paper's setting for sampling policy responses.</value>
    public float Temperature { get; set; } = 0.7f;

    /// <summary>Gets or sets the nucleus-sampling probability mass; 1 disables it.</summary>
    /// <value>The default is 1.</value>
    public float TopP { get; set; } = 1f;

    /// <summary>Gets or sets the number of most likely tokens to sample from; 0 disables it.</summary>
    /// <value>The default is 0.</value>
    public int TopK { get; set; }

    /// <summary>Gets or sets the largest number of tokens to generate for each prompt.</summary>
    /// <value>The default is 2,048.</value>
    public int MaxNewTokens { get; set; } = 2048;

    /// <summary>Gets the texts that end a completion when generated; the stop text itself is not returned.</summary>
    public IList<string> StopSequences { get; } = [];

    /// <summary>Gets or sets the random seed; <see langword="null"/> draws a fresh one.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? Seed { get; set; }

    /// <summary>Creates a copy whose lists can be changed without touching this instance.</summary>
    /// <returns>The copy.</returns>
    public GenerationOptions Clone()
    {
        var copy = new GenerationOptions
        {
            Temperature = Temperature,
            TopP = TopP,
            TopK = TopK,
            MaxNewTokens = MaxNewTokens,
            Seed = Seed,
        };
        foreach (var stop in StopSequences)
        {
            copy.StopSequences.Add(stop);
        }

        return copy;
    }
}
