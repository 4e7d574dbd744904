using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp;

/// <summary>
/// How <c>services.AddTorchSharpModel(folder, configure)</c> loads its <see cref="CausalLanguageModel"/>: precision
/// and device, chat template, tokenizer, and an optional LoRA adapter.
/// </summary>
public sealed class TorchSharpModelOptions
{
    /// <summary>Gets or sets the dtype and device of the weights.</summary>
    /// <value>The default is a new <see cref="ModelLoadOptions"/> (float32 on the CPU).</value>
    public ModelLoadOptions Load { get; set; } = new();

    /// <summary>Gets or sets a built-in chat template name (<see cref="ChatTemplates.ChatTemplate.Names"/>), or
    /// <see langword="null"/> to detect it from the folder's <c>tokenizer_config.json</c>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ChatTemplateName { get; set; }

    /// <summary>Gets or sets which tokenizer file is read and how special tokens in text are treated.</summary>
    /// <value>The default is a new <see cref="ModelTokenizerOptions"/>.</value>
    public ModelTokenizerOptions Tokenizer { get; set; } = new();

    /// <summary>Gets or sets a PEFT LoRA adapter folder to load on top of the model, or <see langword="null"/> for none
    /// (see <see cref="CausalLanguageModel.FromPretrainedWithAdapter"/>).</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? AdapterFolder { get; set; }

    /// <summary>Gets or sets whether the adapter of <see cref="AdapterFolder"/> is merged into the weights.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool MergeAdapter { get; set; }

    internal void Validate()
    {
        if (Load is null)
        {
            throw new ArgumentException("TorchSharpModelOptions.Load must not be null.", nameof(Load));
        }
        Load.Validate();
        if (Tokenizer is null)
        {
            throw new ArgumentException("TorchSharpModelOptions.Tokenizer must not be null.", nameof(Tokenizer));
        }
        if (ChatTemplateName is not null)
        {
            // Throws for an unknown name, listing the built-in ones.
            _ = ChatTemplates.ChatTemplate.Get(ChatTemplateName);
        }
        if (AdapterFolder is not null && !Directory.Exists(AdapterFolder))
        {
            throw new DirectoryNotFoundException($"TorchSharpModelOptions.AdapterFolder not found: {Path.GetFullPath(AdapterFolder)}");
        }
    }
}
