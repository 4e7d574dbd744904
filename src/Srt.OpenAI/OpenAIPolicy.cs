using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;

namespace Srt.OpenAI;

/// <summary>
/// Creates a <see cref="ChatClientPolicyModel"/> over a model behind an OpenAI-compatible endpoint (vLLM, SGLang,
/// llama.cpp, Ollama) or of the OpenAI API.
/// </summary>
/// <remarks>
/// As for the critic, the SDK's own retries are switched off and Srt's <see cref="RetryingChatClient"/> retries
/// instead (backoff, jitter, <c>Retry-After</c>, every attempt counted). <see cref="GenerationOptions.TopK"/> is sent
/// as <c>top_k</c>, which the OpenAI API itself does not accept: leave it at 0 for hosted OpenAI models. To a server
/// other than the OpenAI API the token limit goes as both <c>max_completion_tokens</c> and the older <c>max_tokens</c>.
/// </remarks>
public static class OpenAIPolicy
{
    /// <summary>Creates a policy for a model behind an OpenAI-compatible endpoint.</summary>
    /// <param name="model">The model name the server knows (for vLLM, the served model name or a LoRA adapter's name).</param>
    /// <param name="endpoint">The server address, such as <c>http://localhost:8000/v1</c>.</param>
    /// <param name="apiKey">The API key, or <see langword="null"/> to read <c>SRT_POLICY_API_KEY</c> or send none.</param>
    /// <param name="loggerFactory">Receives retry and failure warnings; may be <see langword="null"/>.</param>
    /// <returns>The policy model.</returns>
    public static ChatClientPolicyModel Create(string model, Uri endpoint, string? apiKey = null, ILoggerFactory? loggerFactory = null) =>
        Create(new OpenAIPolicyOptions { Model = model, Endpoint = endpoint, ApiKey = apiKey }, loggerFactory);

    /// <summary>Creates a policy from settings.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Receives retry and failure warnings; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for retry delays; <see langword="null"/> uses the system clock.</param>
    /// <returns>The policy model.</returns>
    public static ChatClientPolicyModel Create(OpenAIPolicyOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        var chatClient = CreateChatClient(options, loggerFactory, timeProvider);
        return new ChatClientPolicyModel(chatClient, options.Policy, loggerFactory, timeProvider);
    }

    /// <summary>
    /// Creates the chat client the policy uses: the SDK's client with its retries off, <c>top_k</c> (and <c>max_tokens</c>) added, wrapped
    /// in a <see cref="RetryingChatClient"/> when <see cref="ChatClientPolicyModelOptions.Retry"/> is set.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Receives retry warnings; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for retry delays; <see langword="null"/> uses the system clock.</param>
    /// <returns>The chat client.</returns>
    public static IChatClient CreateChatClient(OpenAIPolicyOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        OpenAIClientOptions clientOptions = OpenAIClientSettings.Create(options.Endpoint, options.NetworkTimeout, organizationId: null, options.Transport);

        var credential = OpenAIClientSettings.Credential(options.ResolveApiKey());
        IChatClient client = new CompatibleServerChatClient(
            new ChatClient(options.Model, credential, clientOptions).AsIChatClient(), sendMaxTokens: options.Endpoint is not null);
        return options.Policy.Retry is null
            ? client
            : new RetryingChatClient(client, options.Policy.Retry, loggerFactory?.CreateLogger<RetryingChatClient>(), timeProvider);
    }
}
