using System.Net;
using System.Text;
using System.Text.Json;

namespace Srt.OpenAI.Tests;

/// <summary>An in-process OpenAI-compatible chat-completions endpoint that plays back scripted HTTP answers.</summary>
internal sealed class FakeOpenAIHandler : HttpMessageHandler
{
    private readonly Queue<Func<HttpResponseMessage>> _answers = new();

    public List<(HttpMethod Method, Uri? Uri, string? Authorization, string Body)> Requests { get; } = [];

    public FakeOpenAIHandler Then(Func<HttpResponseMessage> answer)
    {
        _answers.Enqueue(answer);
        return this;
    }

    public FakeOpenAIHandler ThenCompletion(string content, string finishReason = "stop") =>
        Then(() => Json(HttpStatusCode.OK, new
        {
            id = "chatcmpl-test",
            @object = "chat.completion",
            created = 1_700_000_000,
            model = "gpt-4-turbo-2024-04-09",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = finishReason, logprobs = (object?)null } },
            usage = new { prompt_tokens = 321, completion_tokens = 123, total_tokens = 444 },
        }));

    public FakeOpenAIHandler ThenError(HttpStatusCode status, params (string Name, string Value)[] headers) =>
        Then(() =>
        {
            var response = Json(status, new { error = new { message = "scripted failure", type = "test", code = "test" } });
            foreach (var (name, value) in headers)
            {
                response.Headers.TryAddWithoutValidation(name, value);
            }

            return response;
        });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request.Method, request.RequestUri, request.Headers.Authorization?.ToString(), body));
        if (!_answers.TryDequeue(out var answer))
        {
            throw new InvalidOperationException($"No scripted answer left for request {Requests.Count}.");
        }

        var response = answer();
        response.RequestMessage = request;
        return response;
    }

    private static HttpResponseMessage Json(HttpStatusCode status, object body) => new(status)
    {
        Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
    };
}
