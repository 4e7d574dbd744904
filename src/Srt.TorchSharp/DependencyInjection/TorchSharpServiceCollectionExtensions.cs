using Microsoft.Extensions.DependencyInjection.Extensions;
using Srt.TorchSharp;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a TorchSharp <see cref="CausalLanguageModel"/> in a service collection, to serve as the Srt policy and trainer.</summary>
/// <example>
/// <code>
/// services.AddTorchSharpModel("models/Llama-3.2-1B-Instruct")
///     .AddPolicy(policy => policy.BatchSize = 16)
///     .AddTrainer(supervised => supervised.Epochs = 3);
/// services.AddSrt(options => options.RunDirectory = "runs/a").WithChatClientCritic();
/// </code>
/// </example>
public static class TorchSharpServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Hugging Face model folder <paramref name="modelFolder"/> as the one
    /// <see cref="CausalLanguageModel"/> singleton, loaded when first resolved and disposed with the container.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelFolder">The model folder: <c>config.json</c>, safetensors weights and tokenizer files.</param>
    /// <param name="configure">Changes dtype, device, chat template, tokenizer or adapter; may be <see langword="null"/>.</param>
    /// <returns>The builder that registers the policy and trainer over the model.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder (or the adapter folder) does not exist; checked here.</exception>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c> or no tokenizer file; checked here.</exception>
    /// <exception cref="ArgumentException">A setting is invalid; checked here.</exception>
    public static TorchSharpModelBuilder AddTorchSharpModel(
        this IServiceCollection services, string modelFolder, Action<TorchSharpModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFolder);
        var options = new TorchSharpModelOptions();
        configure?.Invoke(options);
        options.Validate();

        // The files are checked now so that a wrong path fails at start-up, naming the path, rather than at the
        // first generation call; the weights are read when the model is first resolved.
        string folder = Path.GetFullPath(modelFolder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Model folder not found: {folder}");
        }
        string config = Path.Combine(folder, "config.json");
        if (!File.Exists(config))
        {
            throw new FileNotFoundException($"The model folder {folder} has no config.json; is it a Hugging Face model folder?", config);
        }
        string tokenizerFolder = options.AdapterFolder is { } adapter && HasTokenizer(adapter) ? adapter : folder;
        if (!HasTokenizer(tokenizerFolder))
        {
            throw new FileNotFoundException(
                $"The model folder {folder} has neither {ModelTokenizer.TokenizerJsonFileName} nor {ModelTokenizer.SentencePieceModelFileName}.",
                Path.Combine(folder, ModelTokenizer.TokenizerJsonFileName));
        }

        return services.AddTorchSharpModel(_ => options.AdapterFolder is null
            ? CausalLanguageModel.FromPretrained(folder, options.Load, options.ChatTemplateName, options.Tokenizer)
            : CausalLanguageModel.FromPretrainedWithAdapter(
                folder, options.AdapterFolder, options.Load, options.MergeAdapter, options.ChatTemplateName, options.Tokenizer));
    }

    /// <summary>
    /// Registers the <see cref="CausalLanguageModel"/> that <paramref name="modelFactory"/> creates as the one model
    /// singleton; the container calls the factory once, when the model is first resolved, and disposes the model
    /// with itself.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelFactory">Creates (or loads) the model; the container owns what it returns.</param>
    /// <returns>The builder that registers the policy and trainer over the model.</returns>
    /// <remarks>A second call replaces the first: there is one model per container.</remarks>
    public static TorchSharpModelBuilder AddTorchSharpModel(this IServiceCollection services, Func<IServiceProvider, CausalLanguageModel> modelFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(modelFactory);
        services.RemoveAll<CausalLanguageModel>();
        services.AddSingleton(modelFactory);
        return new TorchSharpModelBuilder(services);
    }

    private static bool HasTokenizer(string folder) =>
        File.Exists(Path.Combine(folder, ModelTokenizer.TokenizerJsonFileName))
        || File.Exists(Path.Combine(folder, ModelTokenizer.SentencePieceModelFileName));
}
