namespace Srt.Samples.Hosting;

/// <summary>Which model the sample's TorchSharp policy and trainer use (<c>Srt:Model</c>).</summary>
public sealed class SampleModelOptions
{
    /// <summary>
    /// Gets or sets a Hugging Face model folder (config.json, safetensors, tokenizer files). When
    /// <see langword="null"/>, the sample uses a tiny random model in <see cref="TinyFolder"/>, written on first run.
    /// A folder that does not exist is an error naming it; nothing is written there.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets a built-in chat template name for <see cref="Path"/>, or <see langword="null"/> to detect it.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ChatTemplate { get; set; }

    /// <summary>Gets or sets where the tiny random model is written and read when <see cref="Path"/> is not set.</summary>
    /// <value>The default is <c>models/tiny-random-llama</c> (relative to the current folder).</value>
    public string TinyFolder { get; set; } = "models/tiny-random-llama";
}
