using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;

namespace Srt.OpenAI;

/// <summary>Creates a <see cref="ChatClientCritic"/> over an OpenAI or OpenAI-compatible chat model.</summary>
/// <remarks>
/// The SDK's own retries are switched off (they retry without backoff unless the server sends
/// <c>Retry-After</c>); Srt's <see cref="RetryingChatClient"/> retries instead, with backoff, jitter and
/// <c>Retry-After</c>, and counts every attempt.
/// </remarks>
public static class OpenAICritic
{
    /// <summary>Creates a critic for a model of the OpenAI API, with the API key from the <c>OPENAI_API_KEY</c> environment variable.</summary>
    /// <param name="model">The model name, such as <c>gpt-4-turbo</c>.</param>
    /// <param name="loggerFactory">Receives retry warnings; may be <see langword="null"/>.</param>
    /// <returns>The critic, which is also an <see cref="IRefiner"/>.</returns>
    /// <exception cref="ArgumentException"><c>OPENAI_API_KEY</c> is not set.</exception>
    public static ChatClientCritic Create(string model, ILoggerFactory? loggerFactory = null) =>
        Create(new OpenAICriticOptions { Model = model }, loggerFactory);

    /// <summary>Creates a critic for a model of the OpenAI API.</summary>
    /// <param name="model">The model name, such as <c>gpt-4-turbo</c>.</param>
    /// <param name="apiKey">The API key.</param>
    /// <param name="loggerFactory">Receives retry warnings; may be <see langword="null"/>.</param>
    /// <returns>The critic, which is also an <see cref="IRefiner"/>.</returns>
    public static ChatClientCritic Create(string model, string apiKey, ILoggerFactory? loggerFactory = null) =>
        Create(new OpenAICriticOptions { Model = model, ApiKey = apiKey }, loggerFactory);

    /// <summary>Creates a critic for a model behind an OpenAI-compatible endpoint.</summary>
    /// <param name="model">The model name the server knows.</param>
    /// <param name="endpoint">The server address, such as <c>http://localhost:8000/v1</c>.</param>
    /// <param name="apiKey">The API key, or <see langword="null"/> when the server needs none.</param>
    /// <param name="loggerFactory">Receives retry warnings; may be <see langword="null"/>.</param>
    /// <returns>The critic, which is also an <see cref="IRefiner"/>.</returns>
    public static ChatClientCritic Create(string model, Uri endpoint, string? apiKey = null, ILoggerFactory? loggerFactory = null) =>
        Create(new OpenAICriticOptions { Model = model, Endpoint = endpoint, ApiKey = apiKey }, loggerFactory);

    /// <summary>Creates a critic from settings.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Receives retry warnings; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for retry delays; <see langword="null"/> uses the system clock.</param>
    /// <returns>The critic, which is also an <see cref="IRefiner"/>.</returns>
    public static ChatClientCritic Create(OpenAICriticOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        var chatClient = CreateChatClient(options, loggerFactory, timeProvider);
        return new ChatClientCritic(chatClient, options.Critic, loggerFactory, timeProvider);
    }

    /// <summary>
    /// Creates the chat client the critic uses: the SDK's client with its retries off, wrapped in a
    /// <see cref="RetryingChatClient"/> when <see cref="ChatClientCriticOptions.Retry"/> is set. A judge can use it too.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Receives retry warnings; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for retry delays; <see langword="null"/> uses the system clock.</param>
    /// <returns>The chat client.</returns>
    public static IChatClient CreateChatClient(OpenAICriticOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        OpenAIClientOptions clientOptions = OpenAIClientSettings.Create(options.Endpoint, options.NetworkTimeout, options.OrganizationId, options.Transport);

        ResponsePathWarmUp.EnsureStarted();
        var credential = OpenAIClientSettings.Credential(options.ResolveApiKey());
        IChatClient client = new ChatClient(options.Model, credential, clientOptions).AsIChatClient();
        return options.Critic.Retry is null
            ? client
            : new RetryingChatClient(client, options.Critic.Retry, loggerFactory?.CreateLogger<RetryingChatClient>(), timeProvider);
    }
}
