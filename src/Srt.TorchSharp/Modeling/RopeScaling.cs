namespace Srt.TorchSharp.Modeling;

/// <summary>
/// The <c>rope_scaling</c> entry of a Hugging Face <c>config.json</c>: how rotary frequencies are stretched to reach
/// contexts longer than the model was pre-trained on. Only the kinds Llama-family checkpoints ship are supported.
/// </summary>
public sealed record RopeScaling
{
    /// <summary>The scaling kind: <c>"linear"</c> or <c>"llama3"</c> (<c>rope_type</c>, or <c>type</c> in older files).</summary>
    public required string RopeType { get; init; }

    /// <summary>The stretch factor (<c>factor</c>); must be positive.</summary>
    public required double Factor { get; init; }

    /// <summary>Llama 3 only: <c>low_freq_factor</c>.</summary>
    /// <value>The default is 1.</value>
    public double LowFreqFactor { get; init; } = 1.0;

    /// <summary>Llama 3 only: <c>high_freq_factor</c>; must exceed <see cref="LowFreqFactor"/>.</summary>
    /// <value>The default is 4.</value>
    public double HighFreqFactor { get; init; } = 4.0;

    /// <summary>Llama 3 only: <c>original_max_position_embeddings</c>, the pre-training context length.</summary>
    /// <value>The default is 8192.</value>
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    /// <summary>The linear kind's name.</summary>
    public const string Linear = "linear";

    /// <summary>The Llama 3 kind's name.</summary>
    public const string Llama3 = "llama3";
}
