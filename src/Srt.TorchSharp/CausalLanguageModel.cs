using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;

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
    /// <returns>The loaded bundle; dispose it to free the weights.</returns>
    public static CausalLanguageModel FromPretrained(string folder, ModelLoadOptions? options = null, string? chatTemplateName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var tokenizer = ModelTokenizer.FromPretrained(folder);
        var template = ChatTemplates.ChatTemplate.For(tokenizer, chatTemplateName);
        var model = LlamaForCausalLM.FromPretrained(folder, options);
        try
        {
            return new CausalLanguageModel(model, tokenizer, template, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

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
        if (_ownsModel)
        {
            Model.Dispose();
        }
    }
}
