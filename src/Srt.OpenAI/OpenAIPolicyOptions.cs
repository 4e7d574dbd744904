using System.ClientModel.Primitives;

namespace Srt.OpenAI;

/// <summary>
/// Where and how to reach the policy model behind an OpenAI-compatible endpoint: a vLLM, SGLang, llama.cpp or Ollama
/// server, or a hosted model of the OpenAI API.
/// </summary>
/// <remarks><see cref="ToString"/> never shows the API key.</remarks>
public sealed class OpenAIPolicyOptions
{
    /// <summary>The environment variable read for the policy server's API key when <see cref="ApiKey"/> is not set.</summary>
    public const string ApiKeyEnvironmentVariable = "SRT_POLICY_API_KEY";

    /// <summary>Gets or sets the model name the server knows (for vLLM, the served model name or a LoRA adapter's name).</summary>
    /// <value>The default is <see langword="null"/>; it must be set.</value>
    public string? Model { get; set; }

    /// <summary>Gets or sets the server address, such as <c>http://localhost:8000/v1</c>.</summary>
    /// <value>The default is <see langword="null"/>: the OpenAI API.</value>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Gets or sets the API key (vLLM's <c>--api-key</c>, or a hosted model's key). It is sent only as the request's
    /// credential and never logged. When it is not set, <c>SRT_POLICY_API_KEY</c> is read; for the OpenAI API
    /// (no <see cref="Endpoint"/>) <c>OPENAI_API_KEY</c> after it. A local server that needs no key may leave both unset.
    /// </summary>
    /// <value>The default is <see langword="null"/>: read the environment.</value>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets how long one HTTP request may take, the per-request timeout; a stage-2 answer of 6,144 tokens
    /// can take minutes on a busy server. A request that times out is retried by the retry policy.
    /// </summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets the policy's settings: concurrency bound, default sampling settings and retries (used instead of the SDK's own).</summary>
    public ChatClientPolicyModelOptions Policy { get; } = new();

    /// <summary>
    /// Gets or sets the HTTP transport the OpenAI SDK sends through, for example an
    /// <see cref="HttpClientPipelineTransport"/> over an <see cref="System.Net.Http.HttpClient"/> with your own handlers,
    /// proxy or certificates (the SDK's <c>OpenAIClientOptions.Transport</c>). Not bound from configuration.
    /// </summary>
    /// <value>The default is <see langword="null"/> (the SDK's own transport).</value>
    public PipelineTransport? Transport { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">The model is missing, or the OpenAI API is meant and no key is set.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException($"{nameof(OpenAIPolicyOptions)}.{nameof(Model)} must name the policy model the server serves.", nameof(Model));
        }

        if (Endpoint is null && ResolveApiKey() is null)
        {
            throw new ArgumentException(
                $"{nameof(OpenAIPolicyOptions)}.{nameof(Endpoint)} is not set, so the OpenAI API is meant, and it needs a key: set {nameof(ApiKey)}, {ApiKeyEnvironmentVariable} or {OpenAICriticOptions.ApiKeyEnvironmentVariable}.",
                nameof(ApiKey));
        }

        if (Endpoint is not null && !Endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException($"{nameof(OpenAIPolicyOptions)}.{nameof(Endpoint)} must be an absolute address such as http://localhost:8000/v1.", nameof(Endpoint));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(NetworkTimeout, TimeSpan.Zero, nameof(NetworkTimeout));
        Policy.Validate();
    }

    /// <summary>
    /// Gets the key to send: <see cref="ApiKey"/>; else <c>SRT_POLICY_API_KEY</c>; else, for the OpenAI API only,
    /// <c>OPENAI_API_KEY</c> (an OpenAI key is not handed to another server unasked); else none.
    /// </summary>
    /// <returns>The key, or <see langword="null"/>.</returns>
    internal string? ResolveApiKey()
    {
        if (!string.IsNullOrWhiteSpace(ApiKey))
        {
            return ApiKey;
        }

        string? policyKey = Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(policyKey))
        {
            return policyKey;
        }

        if (Endpoint is not null)
        {
            return null;
        }

        string? openAIKey = Environment.GetEnvironmentVariable(OpenAICriticOptions.ApiKeyEnvironmentVariable);
        return string.IsNullOrWhiteSpace(openAIKey) ? null : openAIKey;
    }

    /// <summary>Describes the settings without the API key.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"OpenAIPolicyOptions {{ Model = {Model}, Endpoint = {Endpoint?.ToString() ?? "(OpenAI)"}, ApiKey = {(ResolveApiKey() is null ? "(none)" : "***")}, MaxConcurrentRequests = {Policy.MaxConcurrentRequests} }}";
}
