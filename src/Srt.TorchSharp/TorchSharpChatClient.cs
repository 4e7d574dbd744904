using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Generation;

namespace Srt.TorchSharp;

/// <summary>
/// An <see cref="IChatClient"/> over a local <see cref="CausalLanguageModel"/>, so the same model serves anything
/// written against Microsoft.Extensions.AI (for example the self-critique of stage 2, or a judge).
/// </summary>
/// <remarks>
/// <para>Honours <see cref="ChatOptions.Temperature"/>, <see cref="ChatOptions.TopP"/>, <see cref="ChatOptions.TopK"/>,
/// <see cref="ChatOptions.MaxOutputTokens"/>, <see cref="ChatOptions.StopSequences"/>, <see cref="ChatOptions.Seed"/>
/// and <see cref="ChatOptions.Instructions"/> (sent as a system message); unset values come from the default
/// <see cref="GenerationOptions"/>. Tools and response formats are not supported and are ignored.</para>
/// <para>Requests share the model's lock with every other user of the bundle. The bundle is not owned.</para>
/// </remarks>
public sealed class TorchSharpChatClient : IChatClient
{
    private readonly GenerationOptions _defaults;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates a chat client over a loaded model bundle.</summary>
    /// <param name="model">The model, tokenizer and chat template.</param>
    /// <param name="defaultOptions">Sampling settings for values a request leaves unset; defaults to
    /// <see cref="GenerationOptions"/>'s defaults.</param>
    public TorchSharpChatClient(CausalLanguageModel model, GenerationOptions? defaultOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _defaults = defaultOptions?.Clone() ?? new GenerationOptions();
        GenerationOptionsValidation.Validate(_defaults);
        Model = model;
        _metadata = new ChatClientMetadata("srt-torchsharp", null, model.ModelId);
    }

    /// <summary>Gets the model bundle.</summary>
    public CausalLanguageModel Model { get; }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (prompt, settings) = Prepare(messages, options);
        var output = await Model.RunExclusiveAsync(
            () => Model.Generator.Generate([prompt], settings, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        var result = output.Sequences[0];
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text))
        {
            ModelId = Model.ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = ToChatFinishReason(result.FinishReason),
            Usage = ToUsage(result),
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (prompt, settings) = Prepare(messages, options);
        var pieces = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var responseId = Guid.NewGuid().ToString("N");
        var producer = ProduceAsync(prompt, settings, pieces.Writer, stop.Token);
        try
        {
            await foreach (var piece in pieces.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (piece.Text.Length > 0)
                {
                    yield return new ChatResponseUpdate(ChatRole.Assistant, piece.Text)
                    {
                        ModelId = Model.ModelId, ResponseId = responseId, MessageId = responseId,
                    };
                }
            }
            var result = (await producer.ConfigureAwait(false)).Sequences[0];
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(ToUsage(result))])
            {
                ModelId = Model.ModelId, ResponseId = responseId, MessageId = responseId,
                FinishReason = ToChatFinishReason(result.FinishReason),
            };
        }
        finally
        {
            // A consumer that stops early (or fails) must not leave generation running and holding the model.
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task<GenerationOutput> ProduceAsync(
        IReadOnlyList<int> prompt, GenerationOptions settings, ChannelWriter<GenerationUpdate> writer, CancellationToken cancellationToken)
    {
        try
        {
            return await Model.RunExclusiveAsync(
                () => Model.Generator.Generate([prompt], settings, piece => writer.TryWrite(piece), cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private (IReadOnlyList<int> Prompt, GenerationOptions Settings) Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var conversation = messages.ToList();
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            conversation.Insert(0, new ChatMessage(ChatRole.System, options.Instructions));
        }
        var settings = ToGenerationOptions(options, _defaults);
        GenerationOptionsValidation.Validate(settings);
        return (Model.ChatTemplate.EncodePrompt(Model.Tokenizer, conversation), settings);
    }

    /// <summary>Maps chat options onto generation options, keeping <paramref name="defaults"/> where a value is unset.</summary>
    internal static GenerationOptions ToGenerationOptions(ChatOptions? options, GenerationOptions defaults)
    {
        var settings = defaults.Clone();
        if (options is null)
        {
            return settings;
        }
        settings.Temperature = options.Temperature ?? settings.Temperature;
        settings.TopP = options.TopP ?? settings.TopP;
        settings.TopK = options.TopK ?? settings.TopK;
        settings.MaxNewTokens = options.MaxOutputTokens ?? settings.MaxNewTokens;
        settings.Seed = options.Seed ?? settings.Seed;
        foreach (var stop in options.StopSequences ?? [])
        {
            settings.StopSequences.Add(stop);
        }
        return settings;
    }

    private static ChatFinishReason ToChatFinishReason(CompletionFinishReason reason) =>
        reason == CompletionFinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails ToUsage(GenerationResult result) => new()
    {
        InputTokenCount = result.PromptTokens,
        OutputTokenCount = result.CompletionTokens,
        TotalTokenCount = result.PromptTokens + result.CompletionTokens,
    };

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }
        object?[] services = [this, _metadata, Model, Model.Model, Model.Tokenizer, Model.ChatTemplate, Model.Generator];
        return services.FirstOrDefault(serviceType.IsInstanceOfType);
    }

    /// <summary>Does nothing: the model bundle belongs to whoever created it.</summary>
    public void Dispose()
    {
    }
}
