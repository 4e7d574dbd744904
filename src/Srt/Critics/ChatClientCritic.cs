using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt;

/// <summary>
/// A critic and refiner over any <see cref="IChatClient"/>: one call returns feedback, a score and an improved
/// response (the paper's critique), parsed with <see cref="CritiqueParser"/>.
/// </summary>
/// <remarks>
/// <para>Transient failures are retried by a <see cref="RetryingChatClient"/> (see <see cref="ChatClientCriticOptions.Retry"/>);
/// a response without a finish reason counts as one, because it is usually a stream cut short.</para>
/// <para>An answer cut off at <see cref="ChatClientCriticOptions.MaxOutputTokens"/> (finish reason
/// <see cref="ChatFinishReason.Length"/>) is still parsed for feedback and score, but its improved response is
/// dropped (set to <see langword="null"/>): a truncated refinement must not pass the filters as a complete one.
/// <see cref="Critique.RawText"/> keeps the whole answer. <see cref="RefineAsync"/> throws in that case.</para>
/// </remarks>
public sealed partial class ChatClientCritic : ICritic, IRefiner
{
    private readonly IChatClient _chatClient;
    private readonly ChatClientCriticOptions _options;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="ChatClientCritic"/> class.</summary>
    /// <param name="chatClient">The chat client of the critic model.</param>
    /// <param name="options">The settings; <see langword="null"/> uses the defaults.</param>
    /// <param name="loggerFactory">The logger factory for retry warnings; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for retry delays; <see langword="null"/> uses the system clock.</param>
    public ChatClientCritic(
        IChatClient chatClient, ChatClientCriticOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _options = options ?? new ChatClientCriticOptions();
        _options.Validate();
        _logger = loggerFactory?.CreateLogger<ChatClientCritic>() ?? NullLogger<ChatClientCritic>.Instance;
        IChatClient retrying = _options.Retry is null || chatClient.GetService<RetryingChatClient>() is not null
            ? chatClient
            : new RetryingChatClient(chatClient, _options.Retry, loggerFactory?.CreateLogger<RetryingChatClient>(), timeProvider);

        // One GenAI span per critic call (retries included) under Srt's source, unless the caller's pipeline traces already.
        _chatClient = retrying.GetService<OpenTelemetryChatClient>() is not null
            ? retrying
            : new OpenTelemetryChatClient(retrying, loggerFactory?.CreateLogger<OpenTelemetryChatClient>(), SrtTelemetry.SourceName);
    }

    /// <summary>Gets the chat client the critic calls: the given one with retries (when they were added) and tracing (<see cref="SrtTelemetry"/>).</summary>
    public IChatClient ChatClient => _chatClient;

    /// <inheritdoc />
    public async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await _chatClient.GetResponseAsync(_options.Prompt.BuildCritique(request), CreateChatOptions(), cancellationToken)
            .ConfigureAwait(false);
        var critique = CritiqueParser.Parse(response.Text);
        if (response.FinishReason == ChatFinishReason.Length && critique.ImprovedResponse is not null)
        {
            LogTruncated(_options.MaxOutputTokens);
            critique = critique with { ImprovedResponse = null };
        }

        return critique with { Usage = response.Usage };
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The answer was cut off or held no refinement.</exception>
    public async Task<Refinement> RefineAsync(RefinementRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await _chatClient.GetResponseAsync(_options.Prompt.BuildRefinement(request), CreateChatOptions(), cancellationToken)
            .ConfigureAwait(false);
        if (response.FinishReason == ChatFinishReason.Length)
        {
            throw new InvalidOperationException(
                $"The refinement was cut off at {_options.MaxOutputTokens} output tokens; raise {nameof(ChatClientCriticOptions)}.{nameof(ChatClientCriticOptions.MaxOutputTokens)}.");
        }

        // The prompt ends with the heading, so the answer usually starts with the refinement itself.
        string text = CritiqueParser.Parse(response.Text).ImprovedResponse ?? response.Text.Trim();
        if (text.Length == 0)
        {
            throw new InvalidOperationException("The critic answered the refinement request with no text.");
        }

        return new Refinement(text) { Usage = response.Usage };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        return serviceKey is null && serviceType == typeof(ChatClientCriticOptions)
            ? _options
            : _chatClient.GetService(serviceType, serviceKey);
    }

    private ChatOptions CreateChatOptions() => new()
    {
        Temperature = _options.Temperature,
        MaxOutputTokens = _options.MaxOutputTokens,
        ModelId = _options.ModelId,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "The critic's answer was cut off at {MaxOutputTokens} output tokens; its improved response is dropped.")]
    private partial void LogTruncated(int maxOutputTokens);
}
