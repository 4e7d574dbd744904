using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt.OpenAI;

/// <summary>
/// Tells a running vLLM server to serve a newly trained LoRA adapter under a name, so the next stage's policy
/// (whose model id is that name) answers with the new weights without restarting the server.
/// </summary>
/// <remarks>
/// <para>The server must run with <c>--enable-lora</c> and the environment variable
/// <c>VLLM_ALLOW_RUNTIME_LORA_UPDATING=True</c>, which adds <c>POST /v1/load_lora_adapter</c> and
/// <c>POST /v1/unload_lora_adapter</c>. The adapter path is read by the server, so it must exist on the server's
/// machine.</para>
/// <para>Loading is idempotent: vLLM answers HTTP 400 when the name is already loaded; the loader then reads
/// <c>GET /v1/models</c>, where each adapter is listed with its path as <c>root</c>. Same path: nothing to do
/// (<see cref="VllmAdapterLoadOutcome.AlreadyLoaded"/>, the case of a resumed run). Another path: the old adapter
/// is unloaded and the new one loaded (<see cref="VllmAdapterLoadOutcome.Reloaded"/>). The API key is sent as a
/// bearer credential and never logged.</para>
/// </remarks>
public sealed partial class VllmAdapterLoader
{
    private const int MaxMessageLength = 400;
    private readonly HttpClient _httpClient;
    private readonly string _baseAddress;
    private readonly string? _apiKey;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="VllmAdapterLoader"/> class.</summary>
    /// <param name="endpoint">The server's OpenAI-compatible address, such as <c>http://localhost:8000/v1</c>.</param>
    /// <param name="httpClient">The HTTP client to send with; its timeout applies to each call. Not disposed here.</param>
    /// <param name="apiKey">The server's API key (vLLM's <c>--api-key</c>), or <see langword="null"/> for none.</param>
    /// <param name="loggerFactory">Receives one line per load; may be <see langword="null"/>.</param>
    public VllmAdapterLoader(Uri endpoint, HttpClient httpClient, string? apiKey = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(httpClient);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The endpoint must be an absolute address such as http://localhost:8000/v1.", nameof(endpoint));
        }

        _baseAddress = endpoint.AbsoluteUri.TrimEnd('/');
        _httpClient = httpClient;
        _apiKey = string.IsNullOrWhiteSpace(apiKey) ? null : apiKey;
        _logger = loggerFactory?.CreateLogger<VllmAdapterLoader>() ?? NullLogger<VllmAdapterLoader>.Instance;
    }

    /// <summary>Creates a loader for the server a policy talks to, with the policy's key.</summary>
    /// <param name="options">The policy's settings; <see cref="OpenAIPolicyOptions.Endpoint"/> must be set.</param>
    /// <param name="httpClient">The HTTP client to send with. Not disposed here.</param>
    /// <param name="loggerFactory">Receives one line per load; may be <see langword="null"/>.</param>
    /// <returns>The loader.</returns>
    public static VllmAdapterLoader Create(OpenAIPolicyOptions options, HttpClient httpClient, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Endpoint is null)
        {
            throw new ArgumentException($"{nameof(OpenAIPolicyOptions)}.{nameof(OpenAIPolicyOptions.Endpoint)} must name the vLLM server to load adapters into.", nameof(options));
        }

        return new VllmAdapterLoader(options.Endpoint, httpClient, options.ResolveApiKey(), loggerFactory);
    }

    /// <summary>Makes the server serve the adapter at <paramref name="adapterPath"/> under <paramref name="adapterName"/>.</summary>
    /// <param name="adapterName">The name requests will use as their model id (the policy's model).</param>
    /// <param name="adapterPath">The adapter folder (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>) as the server sees it.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>What was found and done.</returns>
    /// <exception cref="InvalidOperationException">The server refused; the message says what to fix.</exception>
    public async Task<VllmAdapterLoadOutcome> LoadAsync(string adapterName, string adapterPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(adapterName);
        ArgumentException.ThrowIfNullOrWhiteSpace(adapterPath);
        (HttpStatusCode status, string body) = await PostAsync("load_lora_adapter", new { lora_name = adapterName, lora_path = adapterPath }, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.OK)
        {
            LogLoaded(adapterName, "loaded");
            return VllmAdapterLoadOutcome.Loaded;
        }

        if (status != HttpStatusCode.BadRequest || !body.Contains("already been loaded", StringComparison.OrdinalIgnoreCase))
        {
            throw Refused("load", adapterName, status, body);
        }

        string? servedPath = await ServedPathAsync(adapterName, cancellationToken).ConfigureAwait(false);
        if (string.Equals(servedPath, adapterPath, StringComparison.Ordinal))
        {
            LogLoaded(adapterName, "already served from the same path");
            return VllmAdapterLoadOutcome.AlreadyLoaded;
        }

        (status, body) = await PostAsync("unload_lora_adapter", new { lora_name = adapterName }, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Refused("unload", adapterName, status, body);
        }

        (status, body) = await PostAsync("load_lora_adapter", new { lora_name = adapterName, lora_path = adapterPath }, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Refused("load", adapterName, status, body);
        }

        LogLoaded(adapterName, "replaced the adapter served under that name");
        return VllmAdapterLoadOutcome.Reloaded;
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string route, object payload, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_baseAddress}/{route}") { Content = JsonContent.Create(payload) };
        return await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string?> ServedPathAsync(string adapterName, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_baseAddress}/models");
        (HttpStatusCode status, string body) = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Refused("list the models of", adapterName, status, body);
        }

        try
        {
            using var models = JsonDocument.Parse(body);
            foreach (JsonElement model in models.RootElement.GetProperty("data").EnumerateArray())
            {
                if (model.TryGetProperty("id", out var id) && id.GetString() == adapterName)
                {
                    return model.TryGetProperty("root", out var root) && root.ValueKind == JsonValueKind.String ? root.GetString() : null;
                }
            }
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidOperationException($"The server's GET {_baseAddress}/models answer is not an OpenAI model list ({exception.Message}).", exception);
        }

        return null;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        }

        using HttpResponseMessage response = await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, body);
    }

    private InvalidOperationException Refused(string action, string adapterName, HttpStatusCode status, string body)
    {
        string code = ((int)status).ToString(CultureInfo.InvariantCulture);
        string message = body.Length > MaxMessageLength ? body[..MaxMessageLength] + "…" : body;
        string hint = status switch
        {
            HttpStatusCode.NotFound when body.Contains("\"Not Found\"", StringComparison.Ordinal) =>
                " The server has no such route: start vLLM with --enable-lora and the environment variable VLLM_ALLOW_RUNTIME_LORA_UPDATING=True.",
            HttpStatusCode.NotFound => " Check that the adapter path exists on the server's machine and holds adapter_config.json.",
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => " The server rejected the API key: check the policy's ApiKey or SRT_POLICY_API_KEY.",
            _ => string.Empty,
        };
        return new InvalidOperationException(
            $"The server at {_baseAddress} would not {action} LoRA adapter '{adapterName}' (HTTP {code}: {message}).{hint}");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "LoRA adapter {AdapterName}: {What}.")]
    private partial void LogLoaded(string adapterName, string what);
}
