using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp;

/// <summary>
/// A chat model ready to use: the <see cref="LlamaForCausalLM"/> weights, its <see cref="ModelTokenizer"/> and its
/// <see cref="IChatTemplate"/>, loaded together from one Hugging Face folder. Generation
/// (<see cref="TorchSharpPolicyModel"/>, <see cref="TorchSharpChatClient"/>) and training share one instance.
/// </summary>
/// <remarks>
/// The model is not thread-safe. Everything that touches its tensors — generation here, and a trainer that changes
/// the weights between generation calls — should go through <see cref="RunExclusiveAsync{T}"/>, which runs one piece
/// of work at a time on a dedicated thread.
/// </remarks>
public sealed class CausalLanguageModel : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _ownsModel;

    /// <summary>Bundles a model, tokenizer and chat template that belong together.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer; its vocabulary must fit the model's.</param>
    /// <param name="chatTemplate">Its chat template.</param>
    /// <param name="modelId">A name for the model (reported by the chat client); defaults to <c>"llama"</c>.</param>
    /// <param name="ownsModel">Whether <see cref="Dispose"/> disposes the model.</param>
    /// <exception cref="ArgumentException">The tokenizer has more tokens than the model's vocabulary.</exception>
    public CausalLanguageModel(
        LlamaForCausalLM model, ModelTokenizer tokenizer, IChatTemplate chatTemplate, string? modelId = null, bool ownsModel = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(chatTemplate);
        if (tokenizer.VocabularySize > model.Config.VocabSize)
        {
            throw new ArgumentException(
                $"The tokenizer has {tokenizer.VocabularySize} tokens but the model's vocab_size is {model.Config.VocabSize}; they do not belong together.",
                nameof(tokenizer));
        }
        Model = model;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        ModelId = string.IsNullOrWhiteSpace(modelId) ? "llama" : modelId;
        _ownsModel = ownsModel;

        // End-of-turn markers that are single tokens stop by id; the rest (Tulu's "<|user|>" is plain text) by text.
        StopTokenIds = chatTemplate.GetStopTokenIds(tokenizer);
        StopSequences = chatTemplate.StopSequences.Append(chatTemplate.EndOfTurn)
            .Where(s => !string.IsNullOrEmpty(s) && tokenizer.AddedTokens.All(t => t.Content != s))
            .Distinct(StringComparer.Ordinal).ToArray();
        Generator = new TextGenerator(model, tokenizer, StopTokenIds, StopSequences);
    }

    /// <summary>Gets the model.</summary>
    public LlamaForCausalLM Model { get; }

    /// <summary>Gets the tokenizer.</summary>
    public ModelTokenizer Tokenizer { get; }

    /// <summary>Gets the chat template.</summary>
    public IChatTemplate ChatTemplate { get; }

    /// <summary>Gets the model's name: the folder name when loaded with <see cref="FromPretrained"/>.</summary>
    public string ModelId { get; }

    /// <summary>Gets the ids that end an answer: the tokenizer's EOS ids and the template's end-of-turn token.</summary>
    public IReadOnlySet<int> StopTokenIds { get; }

    /// <summary>Gets end-of-turn texts of the template that are not single tokens; they end an answer as text.</summary>
    public IReadOnlyList<string> StopSequences { get; }

    /// <summary>Gets the generator over this model (not thread-safe: use it inside <see cref="RunExclusiveAsync{T}"/>).</summary>
    public TextGenerator Generator { get; }

    /// <summary>
    /// Loads a Hugging Face model folder: <c>config.json</c>, safetensors weights, <c>tokenizer.json</c> or
    /// <c>tokenizer.model</c> with <c>tokenizer_config.json</c>, and the chat template (named, or detected from the
    /// <c>chat_template</c> in tokenizer_config.json).
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="options">Dtype and device; defaults to float32 on the CPU.</param>
    /// <param name="chatTemplateName">A built-in template name (<see cref="ChatTemplates.ChatTemplate.Names"/>); null to detect.</param>
    /// <param name="tokenizerOptions">Which tokenizer file to use and whether text spelling a special token matches it;
    /// null for the defaults (<see cref="ModelTokenizerOptions"/>).</param>
    /// <returns>The loaded bundle; dispose it to free the weights.</returns>
    public static CausalLanguageModel FromPretrained(
        string folder, ModelLoadOptions? options = null, string? chatTemplateName = null, ModelTokenizerOptions? tokenizerOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var tokenizer = ModelTokenizer.FromPretrained(folder, tokenizerOptions ?? new ModelTokenizerOptions());
        var template = ChatTemplates.ChatTemplate.For(tokenizer, chatTemplateName);
        var model = LlamaForCausalLM.FromPretrained(folder, options);
        try
        {
            return new CausalLanguageModel(model, tokenizer, template, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))))
            {
                GenerationDefaults = Loading.GenerationConfigFile.Read(folder),
            };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a base model folder with a PEFT LoRA adapter folder (<c>adapter_config.json</c> +
    /// <c>adapter_model.safetensors</c>, as PEFT and TRL save them), as PEFT's
    /// <c>PeftModel.from_pretrained(base, adapter)</c> does; with <paramref name="merge"/>, the adapter is folded into
    /// the weights, as <c>merge_and_unload()</c> does.
    /// </summary>
    /// <param name="baseFolder">The base model folder the adapter was trained on.</param>
    /// <param name="adapterFolder">The adapter folder. Its tokenizer files, when it has them (TRL saves the tokenizer
    /// with the adapter), are used instead of the base model's.</param>
    /// <param name="options">Dtype and device; defaults to float32 on the CPU.</param>
    /// <param name="merge">Whether to merge the adapter into the base weights (faster generation, no adapter to keep);
    /// otherwise the adapter stays attached in <see cref="Adapters"/>, where it can be disabled or trained further.</param>
    /// <param name="chatTemplateName">A built-in template name; null to detect.</param>
    /// <param name="tokenizerOptions">Which tokenizer file to use and whether text spelling a special token matches it;
    /// null for the defaults (<see cref="ModelTokenizerOptions"/>).</param>
    /// <returns>The loaded bundle; dispose it to free the weights and the adapter.</returns>
    /// <exception cref="InvalidDataException">The adapter config or weights are missing, malformed, use PEFT options
    /// this loader does not apply, or do not fit the base model; the message names the file.</exception>
    public static CausalLanguageModel FromPretrainedWithAdapter(
        string baseFolder, string adapterFolder, ModelLoadOptions? options = null, bool merge = false, string? chatTemplateName = null,
        ModelTokenizerOptions? tokenizerOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseFolder);
        ArgumentException.ThrowIfNullOrEmpty(adapterFolder);
        if (!Directory.Exists(adapterFolder))
        {
            throw new DirectoryNotFoundException($"Adapter folder not found: {adapterFolder}");
        }

        bool adapterHasTokenizer = File.Exists(Path.Combine(adapterFolder, ModelTokenizer.TokenizerJsonFileName))
            || File.Exists(Path.Combine(adapterFolder, ModelTokenizer.SentencePieceModelFileName));
        var tokenizer = ModelTokenizer.FromPretrained(adapterHasTokenizer ? adapterFolder : baseFolder, tokenizerOptions ?? new ModelTokenizerOptions());
        var template = ChatTemplates.ChatTemplate.For(tokenizer, chatTemplateName);
        var model = LlamaForCausalLM.FromPretrained(baseFolder, options);
        LoraAdapters? adapters = null;
        try
        {
            adapters = LoraAdapters.Load(model, adapterFolder);
            adapters.IsTraining = false;
            if (merge)
            {
                adapters.MergeAndDispose(model);
                adapters = null;
            }

            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(adapterFolder)));
            return new CausalLanguageModel(model, tokenizer, template, name)
            {
                Adapters = adapters,
                GenerationDefaults = Loading.GenerationConfigFile.Read(adapterFolder) ?? Loading.GenerationConfigFile.Read(baseFolder),
            };
        }
        catch
        {
            adapters?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Gets the sampling defaults of the folder's <c>generation_config.json</c> (greedy unless it sets
    /// <c>do_sample</c>; temperature, top-p, top-k and <c>max_new_tokens</c> as transformers reads them), for
    /// <see cref="TorchSharpPolicyModelOptions.DefaultGenerationOptions"/> when the model's own defaults are wanted;
    /// <see langword="null"/> when the folder has none. The loop passes its own settings (the paper's), which win.
    /// </summary>
    public GenerationOptions? GenerationDefaults { get; private init; }

    /// <summary>Gets the LoRA adapters attached by <see cref="FromPretrainedWithAdapter"/> (not merged), or <see langword="null"/>.</summary>
    public LoraAdapters? Adapters { get; private init; }

    /// <summary>
    /// Runs synchronous tensor work on a dedicated thread while holding this model's lock, so generation and
    /// training never touch the model at the same time. Waiting for the lock honours cancellation; the work itself
    /// should check the token between steps.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work; it must not await (dispose scopes and no_grad are per thread).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The work's result.</returns>
    public async Task<T> RunExclusiveAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Frees the weights (when owned).</summary>
    public void Dispose()
    {
        Adapters?.Dispose();
        if (_ownsModel)
        {
            Model.Dispose();
        }
    }
}
