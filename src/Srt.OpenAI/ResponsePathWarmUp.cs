using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace Srt.OpenAI;

/// <summary>
/// Runs one chat call through the OpenAI SDK and Microsoft.Extensions.AI against an in-memory answer, once per
/// process, in the background. The first real answer otherwise pays tens of milliseconds of JIT and first-use set-up
/// between its last byte and its record on disk, and a run killed in that window pays for the answer again.
/// </summary>
internal static class ResponsePathWarmUp
{
    private static readonly Lazy<Task> Started = new(() => Task.Run(RunAsync), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts the warm-up unless it already ran; never throws and never touches the network.</summary>
    public static void EnsureStarted() => _ = Started.Value;

    private static async Task RunAsync()
    {
        try
        {
            using var handler = new CannedHandler();
            using var http = new HttpClient(handler);
            var options = new OpenAIClientOptions
            {
                Endpoint = new Uri("http://warm-up.invalid/v1"),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                Transport = new HttpClientPipelineTransport(http),
            };
            IChatClient client = new ChatClient("warm-up", new ApiKeyCredential("warm-up"), options).AsIChatClient();
            ChatResponse response = await client.GetResponseAsync("warm-up", new ChatOptions { Temperature = 0, MaxOutputTokens = 1 }).ConfigureAwait(false);
            _ = CritiqueParser.Parse(response.Text);
        }
#pragma warning disable CA1031 // A failed warm-up only means the first answer is slower; it must never fail the caller.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private sealed class CannedHandler : HttpMessageHandler
    {
        private const string Body = """{"id":"warm-up","object":"chat.completion","created":0,"model":"warm-up","choices":[{"index":0,"message":{"role":"assistant","content":"Overall Score: [[5]]"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Body, Encoding.UTF8, "application/json") });
    }
}
