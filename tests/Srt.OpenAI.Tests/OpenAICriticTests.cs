using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Srt.Testing;

namespace Srt.OpenAI.Tests;

[Collection(nameof(ProcessEnvironmentCollection))]
public class OpenAICriticTests
{
    private const string CannedCritique =
        "### Feedback\n**Weaknesses:**\n- The haiku has six syllables in its first line.\n\n**Suggestions:**\n- Drop one syllable from line one.\n\n"
        + "Overall Score: [[5]]\n\n### Improved Response\nAn old silent pond\nA frog jumps into the pond\nSplash! Silence again.";

    [Fact]
    public async Task Critique_CannedAnswer_ParsedWithUsageAndPaperSettings()
    {
        var handler = new FakeOpenAIHandler().ThenCompletion(CannedCritique);
        var critic = OpenAICritic.Create(Options(handler));

        var critique = await critic.CritiqueAsync(new CritiqueRequest("Write a haiku about a pond.", "An old and silent pond..."));

        Assert.Equal(5, critique.Feedback.Score);
        Assert.True(critique.Feedback.IsComplete);
        Assert.StartsWith("An old silent pond", critique.ImprovedResponse, StringComparison.Ordinal);
        Assert.Equal(321, critique.Usage?.InputTokenCount);
        Assert.Equal(123, critique.Usage?.OutputTokenCount);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("https://api.openai.com/v1/chat/completions", request.Uri?.ToString());
        Assert.Equal("Bearer sk-test-SECRET", request.Authorization);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("gpt-4-turbo", body.RootElement.GetProperty("model").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal(2048, MaxTokens(body.RootElement));
        var prompt = body.RootElement.GetProperty("messages")[0].GetProperty("content").ToString();
        Assert.Contains("### Requirements", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Critique_429WithRetryAfter_RetriedOnceBySrtNotBySdk()
    {
        var handler = new FakeOpenAIHandler()
            .ThenError(HttpStatusCode.TooManyRequests, ("Retry-After", "2"))
            .ThenCompletion(CannedCritique);
        var clock = new RecordingTimeProvider();
        var critic = OpenAICritic.Create(Options(handler), timeProvider: clock);

        var critique = await critic.CritiqueAsync(new CritiqueRequest("i", "r"));

        Assert.Equal(5, critique.Feedback.Score);
        Assert.Equal(2, handler.Requests.Count);
        var retrying = critic.GetService<RetryingChatClient>();
        Assert.NotNull(retrying);
        Assert.Equal(2, retrying.Attempts); // had the SDK retried, Srt would have seen one successful attempt
        Assert.Equal(1, retrying.Retries);
        Assert.Equal([TimeSpan.FromSeconds(2)], clock.Delays);
    }

    [Fact]
    public async Task Critique_500ThenSuccess_Succeeds()
    {
        var handler = new FakeOpenAIHandler().ThenError(HttpStatusCode.InternalServerError).ThenCompletion(CannedCritique);
        var clock = new RecordingTimeProvider();
        var options = Options(handler);
        // Without jitter the first backoff is exactly the base delay; with it, a draw under 1 ms makes Task.Delay
        // complete without a timer, and the clock would see nothing.
        options.Critic.Retry!.UseJitter = false;

        var critique = await OpenAICritic.Create(options, timeProvider: clock).CritiqueAsync(new CritiqueRequest("i", "r"));

        Assert.Equal("An old silent pond\nA frog jumps into the pond\nSplash! Silence again.", critique.ImprovedResponse);
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal([TimeSpan.FromSeconds(1)], clock.Delays);
    }

    [Fact]
    public async Task Critique_400_NotRetried()
    {
        var handler = new FakeOpenAIHandler().ThenError(HttpStatusCode.BadRequest).ThenCompletion(CannedCritique);
        var critic = OpenAICritic.Create(Options(handler), timeProvider: new RecordingTimeProvider());

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => critic.CritiqueAsync(new CritiqueRequest("i", "r")));

        Assert.Equal(400, ex.Status);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Critique_CustomEndpointWithoutKey_CallsThatServer()
    {
        using var environment = EnvironmentVariables.Keys(openAI: "sk-from-environment");
        var handler = new FakeOpenAIHandler().ThenCompletion(CannedCritique);
        var options = Options(handler);
        options.ApiKey = null;
        options.Model = "qwen2.5-72b-instruct";
        options.Endpoint = new Uri("http://localhost:8000/v1");

        await OpenAICritic.Create(options).CritiqueAsync(new CritiqueRequest("i", "r"));

        var request = Assert.Single(handler.Requests);
        Assert.Equal("http://localhost:8000/v1/chat/completions", request.Uri?.ToString());
        Assert.DoesNotContain("sk-from-environment", request.Authorization ?? string.Empty, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("qwen2.5-72b-instruct", body.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Options_ToString_HidesApiKey()
    {
        var text = new OpenAICriticOptions { ApiKey = "sk-test-SECRET" }.ToString();

        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
        Assert.Contains("gpt-4-turbo", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_NoKeyNoEndpoint_RejectedEarly()
    {
        using var environment = EnvironmentVariables.Keys();
        var ex = Assert.Throws<ArgumentException>(() => OpenAICritic.Create(new OpenAICriticOptions()));
        Assert.Contains("ApiKey", ex.Message, StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithOpenAICritic_RegistersCriticThatIsAlsoRefiner()
    {
        var services = new ServiceCollection();
        new TestSrtBuilder(services).WithOpenAICritic("gpt-4-turbo", "sk-test-SECRET", o => o.Critic.MaxOutputTokens = 1024);
        using var provider = services.BuildServiceProvider();

        var critic = provider.GetRequiredService<ICritic>();

        Assert.IsType<ChatClientCritic>(critic);
        Assert.Same(critic, critic.GetService(typeof(IRefiner)));
        Assert.Equal(1024, critic.GetService<ChatClientCriticOptions>()?.MaxOutputTokens);
    }

    private static OpenAICriticOptions Options(FakeOpenAIHandler handler)
    {
        var options = new OpenAICriticOptions { ApiKey = "sk-test-SECRET", Transport = new HttpClientPipelineTransport(new HttpClient(handler)) };
        options.Critic.Retry = new RetryOptions { UseJitter = true };
        return options;
    }

    private static int MaxTokens(JsonElement body) =>
        body.TryGetProperty("max_completion_tokens", out var value) ? value.GetInt32() : body.GetProperty("max_tokens").GetInt32();

    private sealed class TestSrtBuilder(IServiceCollection services) : ISrtBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
