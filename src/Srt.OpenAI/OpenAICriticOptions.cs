using System.ClientModel.Primitives;

namespace Srt.OpenAI;

/// <summary>Where and how to reach an OpenAI (or OpenAI-compatible) chat model used as the critic.</summary>
/// <remarks><see cref="ToString"/> never shows the API key.</remarks>
public sealed class OpenAICriticOptions
{
    /// <summary>The environment variable read for the API key when <see cref="ApiKey"/> is not set.</summary>
    public const string ApiKeyEnvironmentVariable = "OPENAI_API_KEY";

    /// <summary>Gets or sets the model name.</summary>
    /// <value>The default is <c>gpt-4-turbo</c>, the paper's critic.</value>
    public string Model { get; set; } = "gpt-4-turbo";

    /// <summary>
    /// Gets or sets the API key. It is sent only as the request's credential and never logged. When it is not set,
    /// the <c>OPENAI_API_KEY</c> environment variable is used for the OpenAI API (never sent to a custom
    /// <see cref="Endpoint"/>). Local OpenAI-compatible servers that need no key may leave it unset.
    /// </summary>
    /// <value>The default is <see langword="null"/>: read <c>OPENAI_API_KEY</c>.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the service address, for OpenAI-compatible servers (vLLM, llama.cpp, Ollama, proxies).</summary>
    /// <value>The default is <see langword="null"/>: the OpenAI API.</value>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the OpenAI organization id sent with each request.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? OrganizationId { get; set; }

    /// <summary>Gets or sets how long one HTTP request may take; a critique of 2,048 tokens can take minutes.</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets the critic's settings: temperature, token limit, prompt and retries (used instead of the SDK's own).</summary>
    public ChatClientCriticOptions Critic { get; } = new();

    /// <summary>
    /// Gets or sets the HTTP transport the OpenAI SDK sends through, for example an
    /// <see cref="HttpClientPipelineTransport"/> over an <see cref="System.Net.Http.HttpClient"/> with your own handlers,
    /// proxy or certificates (the SDK's <c>OpenAIClientOptions.Transport</c>). Not bound from configuration.
    /// </summary>
    /// <value>The default is <see langword="null"/> (the SDK's own transport).</value>
    public PipelineTransport? Transport { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">The model is empty, or neither an API key nor an endpoint is set.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException($"{nameof(Model)} must name the critic model.", nameof(Model));
        }

        if (ResolveApiKey() is null && Endpoint is null)
        {
            throw new ArgumentException(
                $"{nameof(ApiKey)} is required for the OpenAI API; set it or the {ApiKeyEnvironmentVariable} environment variable, or set {nameof(Endpoint)} for a server that needs no key.",
                nameof(ApiKey));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(NetworkTimeout, TimeSpan.Zero, nameof(NetworkTimeout));
        Critic.Validate();
    }

    /// <summary>
    /// Gets the key to send: <see cref="ApiKey"/>; else, for the OpenAI API only, the <c>OPENAI_API_KEY</c>
    /// environment variable (an OpenAI key is not handed to another server unasked); else none.
    /// </summary>
    /// <returns>The key, or <see langword="null"/>.</returns>
    internal string? ResolveApiKey()
    {
        if (!string.IsNullOrWhiteSpace(ApiKey))
        {
            return ApiKey;
        }

        if (Endpoint is not null)
        {
            return null;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? null : fromEnvironment;
    }

    /// <summary>Describes the settings without the API key.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"OpenAICriticOptions {{ Model = {Model}, Endpoint = {Endpoint?.ToString() ?? "(OpenAI)"}, ApiKey = {(ResolveApiKey() is null ? "(none)" : "***")} }}";
}
