using System.ClientModel;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Srt.Testing;
using Srt.Tests.Critics;

namespace Srt.Tests.Resilience;

public class RetryingChatClientTests
{
    private static readonly RetryOptions NoJitter = new() { UseJitter = false };

    [Fact]
    public async Task GetResponse_429WithRetryAfterSeconds_WaitsExactlyThatLong()
    {
        var clock = new RecordingTimeProvider();
        var inner = FailThenAnswer(FakePipelineResponse.Error(429, ("retry-after", "7")));
        var client = new RetryingChatClient(inner, NoJitter, timeProvider: clock);

        var response = await client.GetResponseAsync("hi");

        Assert.Equal("ok", response.Text);
        Assert.Equal([TimeSpan.FromSeconds(7)], clock.Delays);
        Assert.Equal(2, inner.Calls);
        Assert.Equal(2, client.Attempts);
        Assert.Equal(1, client.Retries);
    }

    [Fact]
    public async Task GetResponse_RetryAfterMs_PreferredOverSeconds()
    {
        var clock = new RecordingTimeProvider();
        var inner = FailThenAnswer(FakePipelineResponse.Error(503, ("retry-after", "9"), ("retry-after-ms", "250")));

        await new RetryingChatClient(inner, NoJitter, timeProvider: clock).GetResponseAsync("hi");

        Assert.Equal([TimeSpan.FromMilliseconds(250)], clock.Delays);
    }

    [Fact]
    public async Task GetResponse_RetryAfterHttpDate_WaitsUntilThatTime()
    {
        var clock = new RecordingTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var inner = FailThenAnswer(FakePipelineResponse.Error(429, ("Retry-After", "Fri, 02 Jan 2026 03:04:35 GMT")));

        await new RetryingChatClient(inner, NoJitter, timeProvider: clock).GetResponseAsync("hi");

        Assert.Equal([TimeSpan.FromSeconds(30)], clock.Delays);
    }

    [Fact]
    public async Task GetResponse_RetryAfterBeyondMaximum_NotRetried()
    {
        var inner = FailThenAnswer(FakePipelineResponse.Error(429, ("retry-after", "86400")));
        var client = new RetryingChatClient(inner, NoJitter, timeProvider: new RecordingTimeProvider());

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi"));

        Assert.Equal(429, ex.Status);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task GetResponse_RepeatedServerErrors_BackoffDoublesUpToCapThenGivesUp()
    {
        var clock = new RecordingTimeProvider();
        var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw FakePipelineResponse.Error(500) };
        var options = new RetryOptions { UseJitter = false, MaxAttempts = 6, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) };
        var client = new RetryingChatClient(inner, options, timeProvider: clock);

        await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi"));

        Assert.Equal(new[] { 1, 2, 4, 8, 10 }.Select(s => TimeSpan.FromSeconds(s)), clock.Delays);
        Assert.Equal(6, inner.Calls);
        Assert.Equal(6, client.Attempts);
        Assert.Equal(5, client.Retries);
    }

    [Fact]
    public async Task GetResponse_Jitter_DelaysStayBelowTheirCap()
    {
        var clock = new RecordingTimeProvider();
        var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("x", null, HttpStatusCode.BadGateway) };
        var client = new RetryingChatClient(inner, new RetryOptions { MaxAttempts = 5 }, timeProvider: clock);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi"));

        Assert.Equal(4, clock.Delays.Count);
        for (int i = 0; i < clock.Delays.Count; i++)
        {
            Assert.InRange(clock.Delays[i], TimeSpan.Zero, TimeSpan.FromSeconds(Math.Pow(2, i)));
        }
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    [InlineData(501)]
    public async Task GetResponse_PermanentStatus_NotRetried(int status)
    {
        var inner = FailThenAnswer(FakePipelineResponse.Error(status));

        await Assert.ThrowsAsync<ClientResultException>(() => new RetryingChatClient(inner, NoJitter, timeProvider: new RecordingTimeProvider()).GetResponseAsync("hi"));

        Assert.Equal(1, inner.Calls);
    }

    public static TheoryData<Exception> TransientFailures() => new()
    {
        new HttpRequestException("x", null, HttpStatusCode.TooManyRequests),
        new HttpRequestException("x", null, HttpStatusCode.RequestTimeout),
        new HttpRequestException("x", null, HttpStatusCode.Conflict),
        new HttpRequestException("connection refused"),
        new HttpIOException(HttpRequestError.ResponseEnded, "stream ended"),
        new IOException("reset"),
        new TimeoutException(),
        new TaskCanceledException("HttpClient.Timeout elapsed", new TimeoutException()),
        FakePipelineResponse.Error(502),
        new ClientResultException("network", null),
    };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task GetResponse_TransientFailure_RetriedOnce(Exception failure)
    {
        var inner = FailThenAnswer(failure);

        var response = await new RetryingChatClient(inner, NoJitter, timeProvider: new RecordingTimeProvider()).GetResponseAsync("hi");

        Assert.Equal("ok", response.Text);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task GetResponse_CallerCancels_NotRetried()
    {
        using var cts = new CancellationTokenSource();
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, ct) =>
            {
                cts.Cancel();
                ct.ThrowIfCancellationRequested();
                return Task.FromResult(TestChatClient.Answer("never"));
            },
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new RetryingChatClient(inner, NoJitter, timeProvider: new RecordingTimeProvider()).GetResponseAsync("hi", cancellationToken: cts.Token));

        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task GetResponse_MissingFinishReason_RetriedThenThrowsWhenPersistent()
    {
        var clock = new RecordingTimeProvider();
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "trunc"))),
        };
        var client = new RetryingChatClient(inner, new RetryOptions { UseJitter = false, MaxAttempts = 3 }, timeProvider: clock);

        await Assert.ThrowsAsync<IncompleteChatResponseException>(() => client.GetResponseAsync("hi"));

        Assert.Equal(3, inner.Calls);
        Assert.Equal(2, clock.Delays.Count);
    }

    [Fact]
    public async Task GetResponse_MissingFinishReasonAllowed_ReturnsResponse()
    {
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "local"))),
        };
        var client = new RetryingChatClient(inner, new RetryOptions { RetryOnMissingFinishReason = false });

        Assert.Equal("local", (await client.GetResponseAsync("hi")).Text);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task GetStreamingResponse_FailsBeforeFirstUpdate_RetriedFromScratch()
    {
        int calls = 0;
        var inner = new TestChatClient
        {
            GetStreamingResponseAsyncCallback = (_, _, token) => ++calls == 1 ? Throwing(new IOException("reset"), token) : Updates("a", "b"),
        };
        var client = new RetryingChatClient(inner, NoJitter, timeProvider: new RecordingTimeProvider());

        var text = string.Concat(await ToListAsync(client.GetStreamingResponseAsync("hi")));

        Assert.Equal("ab", text);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task GetStreamingResponse_FailsAfterText_Rethrows()
    {
        var inner = new TestChatClient { GetStreamingResponseAsyncCallback = (_, _, _) => UpdatesThenThrow("a") };
        var client = new RetryingChatClient(inner, NoJitter, timeProvider: new RecordingTimeProvider());

        await Assert.ThrowsAsync<IOException>(() => ToListAsync(client.GetStreamingResponseAsync("hi")));
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task GetResponse_Retry_LoggedAtWarningWithoutContents()
    {
        using var provider = new CapturingLoggerProvider();
        using var factory = provider.CreateFactory();
        var inner = FailThenAnswer(FakePipelineResponse.Error(429, ("retry-after", "1")));
        var client = new RetryingChatClient(inner, NoJitter, factory.CreateLogger<RetryingChatClient>(), new RecordingTimeProvider());

        await client.GetResponseAsync("SECRET PROMPT");

        var entry = Assert.Single(provider.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("429", entry.Message, StringComparison.Ordinal);
        Assert.Contains("attempt 2 of 5", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseSrtRetry_BuildsRetryingClient()
    {
        var client = new TestChatClient().AsBuilder().UseSrtRetry(new RetryOptions { MaxAttempts = 2 }).Build();

        Assert.IsType<RetryingChatClient>(client);
        Assert.NotNull(client.GetService<TestChatClient>());
    }

    [Fact]
    public void Options_Invalid_RejectedAtConstruction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryingChatClient(new TestChatClient(), new RetryOptions { MaxAttempts = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryingChatClient(new TestChatClient(), new RetryOptions { MaxDelay = TimeSpan.FromMilliseconds(1) }));
    }

    private static TestChatClient FailThenAnswer(Exception failure)
    {
        int calls = 0;
        return new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => ++calls == 1 ? throw failure : Task.FromResult(TestChatClient.Answer("ok")),
        };
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Updates(params string[] texts)
    {
        foreach (var text in texts)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, text);
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Throwing(Exception failure, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        throw failure;
#pragma warning disable CS0162 // an iterator needs a yield
        yield break;
#pragma warning restore CS0162
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> UpdatesThenThrow(string text)
    {
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, text);
        throw new IOException("dropped");
    }

    private static async Task<List<string>> ToListAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<string>();
        await foreach (var update in updates)
        {
            list.Add(update.Text);
        }

        return list;
    }
}
