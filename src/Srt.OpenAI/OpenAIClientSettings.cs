using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace Srt.OpenAI;

/// <summary>
/// The one place that turns Srt's connection settings into the OpenAI SDK's: the SDK's own retries off (Srt's
/// <see cref="RetryingChatClient"/> or the batch client owns retries, and a silent SDK retry can be a second paid
/// request or a second batch), the endpoint, timeout, organization and transport, and the credential.
/// </summary>
internal static class OpenAIClientSettings
{
    // Servers that need no key still require the SDK to send some credential.
    private const string NoKey = "no-key";

    public static OpenAIClientOptions Create(Uri? endpoint, TimeSpan networkTimeout, string? organizationId, PipelineTransport? transport)
    {
        var clientOptions = new OpenAIClientOptions
        {
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = networkTimeout,
        };
        if (endpoint is not null)
        {
            clientOptions.Endpoint = endpoint;
        }

        if (!string.IsNullOrWhiteSpace(organizationId))
        {
            clientOptions.OrganizationId = organizationId;
        }

        if (transport is not null)
        {
            clientOptions.Transport = transport;
        }

        return clientOptions;
    }

    public static ApiKeyCredential Credential(string? apiKey) => new(apiKey ?? NoKey);
}
