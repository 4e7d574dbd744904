using System.Net;
using Microsoft.Extensions.AI;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Policies;

public sealed class ChatClientPolicyModelTests
{
    private static readonly RetryOptions FastRetry = new() { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1), UseJitter = false };

    [Fact]
    public async Task GenerateAsync_SamplingSettings_MappedToChatOptionsWithSeedPlusPromptIndex()
    {
        var client = new CallbackChatClient((prompt, _, _) => Task.FromResult(CallbackChatClient.Answer("to " + prompt, ChatFinishReason.Stop)));
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { ModelId = "stage1-adapter" });
        var settings = new GenerationOptions { Temperature = 0.3f, TopP = 0.9f, TopK = 40, MaxNewTokens = 123, Seed = 1000 };
        settings.StopSequences.Add("</s>");

        var completions = await policy.GenerateAsync(Prompts(5), settings);

        Assert.Equal(["to p0", "to p1", "to p2", "to p3", "to p4"], completions.Select(c => c.Text));
        Assert.Equal(5, client.Requests.Count);
        foreach ((string prompt, ChatOptions? options) in client.Requests)
        {
            int index = int.Parse(prompt[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.NotNull(options);
            Assert.Equal(1000 + index, options.Seed);
            Assert.Equal("stage1-adapter", options.ModelId);
            Assert.Equal(0.3f, options.Temperature);
            Assert.Equal(0.9f, options.TopP);
            Assert.Equal(40, options.TopK);
            Assert.Equal(123, options.MaxOutputTokens);
            Assert.Equal(["</s>"], options.StopSequences!);
        }
    }

    [Fact]
    public async Task GenerateAsync_NoSeedAndNoTopK_SendsNeither()
    {
        var client = new CallbackChatClient((_, _, _) => Task.FromResult(CallbackChatClient.Answer("x", ChatFinishReason.Stop)));
        using var policy = new ChatClientPolicyModel(client);

        await policy.GenerateAsync(Prompts(2));

        Assert.All(client.Requests, request =>
        {
            Assert.Null(request.Options!.Seed);
            Assert.Null(request.Options.TopK);
            Assert.Null(request.Options.StopSequences);
            Assert.Equal(0.7f, request.Options.Temperature);
            Assert.Equal(2048, request.Options.MaxOutputTokens);
        });
    }

    [Fact]
    public async Task GenerateAsync_FinishReasonsAndUsage_ReportedAsTheServerSentThem()
    {
        var client = new CallbackChatClient((prompt, _, _) => Task.FromResult(prompt switch
        {
            "p0" => CallbackChatClient.Answer("done", ChatFinishReason.Stop, 11, 3),
            "p1" => CallbackChatClient.Answer("cut", ChatFinishReason.Length, 12, 50),
            _ => CallbackChatClient.Answer("", ChatFinishReason.ContentFilter, 13, 0),
        }));
        using var policy = new ChatClientPolicyModel(client);

        var completions = await policy.GenerateAsync(Prompts(3));

        Assert.Equal(new PolicyCompletion("done", CompletionFinishReason.Stop, 11, 3), completions[0]);
        Assert.Equal(new PolicyCompletion("cut", CompletionFinishReason.Length, 12, 50), completions[1]);
        Assert.Equal(CompletionFinishReason.Failed, completions[2].FinishReason);
        Assert.Equal(13, completions[2].PromptTokens);
        Assert.Contains("content_filter", completions[2].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateAsync_MissingFinishReason_RetriedThenThatItemFails()
    {
        var client = new CallbackChatClient((prompt, _, _) =>
            Task.FromResult(CallbackChatClient.Answer("partial", prompt == "p1" ? null : ChatFinishReason.Stop)));
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { Retry = FastRetry });

        var completions = await policy.GenerateAsync(Prompts(3));

        Assert.Equal(3, client.Requests.Count(request => request.Prompt == "p1"));
        Assert.Equal(CompletionFinishReason.Failed, completions[1].FinishReason);
        Assert.Contains(nameof(IncompleteChatResponseException), completions[1].Error, StringComparison.Ordinal);
        Assert.Equal([CompletionFinishReason.Stop, CompletionFinishReason.Stop], new[] { completions[0].FinishReason, completions[2].FinishReason });
        Assert.Equal(2, policy.ChatClient.GetService<RetryingChatClient>()!.Retries);
    }

    [Fact]
    public async Task GenerateAsync_MissingFinishReasonWithoutRetries_ThatItemFails()
    {
        var client = new CallbackChatClient((_, _, _) => Task.FromResult(CallbackChatClient.Answer("partial", null)));
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { Retry = null });

        var completion = Assert.Single(await policy.GenerateAsync(Prompts(1)));

        Assert.Single(client.Requests);
        Assert.Equal(CompletionFinishReason.Failed, completion.FinishReason);
        Assert.Contains("no finish reason", completion.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateAsync_ServerErrorsAndContextLength_FailOnlyTheirItems()
    {
        var client = new CallbackChatClient((prompt, _, _) => prompt switch
        {
            "p1" => throw new HttpRequestException("upstream down", null, HttpStatusCode.InternalServerError),
            "p2" => throw new HttpRequestException("This model's maximum context length is 4096 tokens.", null, HttpStatusCode.BadRequest),
            _ => Task.FromResult(CallbackChatClient.Answer("ok " + prompt, ChatFinishReason.Stop)),
        });
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { Retry = FastRetry });

        var completions = await policy.GenerateAsync(Prompts(4));

        Assert.Equal("ok p0", completions[0].Text);
        Assert.Equal("ok p3", completions[3].Text);
        Assert.Equal(CompletionFinishReason.Failed, completions[1].FinishReason);
        Assert.Contains("HTTP 500", completions[1].Error, StringComparison.Ordinal);
        Assert.Equal(CompletionFinishReason.Failed, completions[2].FinishReason);
        Assert.Contains("context", completions[2].Error, StringComparison.Ordinal);
        Assert.Equal(3, client.Requests.Count(request => request.Prompt == "p1"));
        Assert.Equal(1, client.Requests.Count(request => request.Prompt == "p2"));
    }

    [Fact]
    public async Task GenerateAsync_RejectedKey_CancelsTheOtherRequestsAndThrows()
    {
        var othersCancelled = 0;
        var client = new CallbackChatClient(async (prompt, _, token) =>
        {
            if (prompt == "p3")
            {
                await Task.Delay(50, CancellationToken.None);
                throw new HttpRequestException("Incorrect API key provided", null, HttpStatusCode.Unauthorized);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref othersCancelled);
                throw;
            }

            return CallbackChatClient.Answer("never", ChatFinishReason.Stop);
        });
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { Retry = FastRetry });

        var thrown = await Assert.ThrowsAsync<UnrecoverableCallException>(() => policy.GenerateAsync(Prompts(6)));

        Assert.Contains("HTTP 401", thrown.Message, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(thrown.InnerException);
        Assert.True(UnrecoverableFailure.IsUnrecoverable(thrown, out _));
        Assert.Equal(5, othersCancelled);
        Assert.Equal(1, client.Requests.Count(request => request.Prompt == "p3"));
    }

    [Fact]
    public async Task GenerateAsync_CallerCancels_Throws()
    {
        using var cancel = new CancellationTokenSource();
        var client = new CallbackChatClient(async (_, _, token) =>
        {
            await cancel.CancelAsync();
            await Task.Delay(Timeout.Infinite, token);
            return CallbackChatClient.Answer("never", ChatFinishReason.Stop);
        });
        using var policy = new ChatClientPolicyModel(client);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => policy.GenerateAsync(Prompts(3), cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task GenerateAsync_ManyPrompts_NeverMoreRequestsInFlightThanTheBound()
    {
        int inFlight = 0, most = 0;
        var client = new CallbackChatClient(async (prompt, _, token) =>
        {
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await Task.Delay(5, token);
            Interlocked.Decrement(ref inFlight);
            return CallbackChatClient.Answer(prompt, ChatFinishReason.Stop);
        });
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { MaxConcurrentRequests = 3 });

        // Two calls at once share the bound.
        var both = await Task.WhenAll(policy.GenerateAsync(Prompts(20)), policy.GenerateAsync(Prompts(20)));

        Assert.Equal(40, client.Requests.Count);
        Assert.Equal(3, most);
        Assert.All(both, completions => Assert.Equal(Enumerable.Range(0, 20).Select(i => $"p{i}"), completions.Select(c => c.Text)));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingTheSetting()
    {
        var client = new CallbackChatClient((_, _, _) => throw new InvalidOperationException());

        var bound = Assert.Throws<ArgumentOutOfRangeException>(() => new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { MaxConcurrentRequests = 0 }));
        var topP = Assert.Throws<ArgumentOutOfRangeException>(() => new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { DefaultGenerationOptions = new GenerationOptions { TopP = 0 } }));

        Assert.Equal(nameof(ChatClientPolicyModelOptions.MaxConcurrentRequests), bound.ParamName);
        Assert.Equal("DefaultGenerationOptions.TopP", topP.ParamName);
    }

    [Fact]
    public async Task RunStageOne_PolicyOverChatClient_FailedPromptFailsItsItemAlone()
    {
        using var harness = new LoopHarness();
        var client = new CallbackChatClient((prompt, _, _) => prompt.EndsWith(" 2", StringComparison.Ordinal)
            ? throw new HttpRequestException("Please reduce the length of the messages: maximum context length is 16 tokens", null, HttpStatusCode.BadRequest)
            : Task.FromResult(CallbackChatClient.Answer("Answer to: " + prompt, ChatFinishReason.Stop, 7, 4)));
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { Retry = FastRetry });
        var loop = new SelfRefinementLoop(policy, harness.Critic, harness.Trainer, harness.Options);

        var result = await loop.RunStageOneAsync(LoopHarness.Items(5));

        Assert.Equal(4, result.Kept);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("item-002", failure.Id);
        Assert.Contains("context", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(4, harness.Trainer.SupervisedRequests.Single().Examples.Count);
    }

    [Fact]
    public async Task GenerateAsync_RejectedKeyWithOneSlot_NoWaitingRequestIsSentAfterIt()
    {
        // One request at a time: the others wait for its slot. Once the key is rejected, none of them may be sent
        // (each would be refused the same way, and against a paid API each is a request).
        var client = new CallbackChatClient(async (_, _, _) =>
        {
            await Task.Yield();
            throw new HttpRequestException("Incorrect API key provided", null, HttpStatusCode.Unauthorized);
        });
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { Retry = FastRetry, MaxConcurrentRequests = 1 });

        for (int attempt = 0; attempt < 20; attempt++)
        {
            await Assert.ThrowsAsync<UnrecoverableCallException>(() => policy.GenerateAsync(Prompts(4)));
        }

        Assert.Equal(20, client.Requests.Count);
    }

    [Fact]
    public async Task RunStageOne_PolicyKeyRejected_StageStopsWithTheCause()
    {
        using var harness = new LoopHarness();
        var client = new CallbackChatClient((_, _, _) => throw new HttpRequestException("invalid key", null, HttpStatusCode.Unauthorized));
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { Retry = FastRetry });
        var loop = new SelfRefinementLoop(policy, harness.Critic, harness.Trainer, harness.Options);

        var thrown = await Assert.ThrowsAsync<UnrecoverableCallException>(() => loop.RunStageOneAsync(LoopHarness.Items(20)));

        Assert.Contains("API key", thrown.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Critic.Requests);
        Assert.Empty(harness.Trainer.SupervisedRequests);
        Assert.True(client.Requests.Count <= harness.Options.GenerationBatchSize, $"{client.Requests.Count} requests were sent after the key was rejected.");
    }

    [Fact]
    public async Task RunStageTwo_PolicyOverChatClient_SelfRefinementsBecomePairs()
    {
        using var harness = new LoopHarness();
        var client = new CallbackChatClient((prompt, _, _) =>
            Task.FromResult(CallbackChatClient.Answer(SelfRefinementText.Of("First " + prompt, 4, "Better " + prompt, 8), ChatFinishReason.Stop, 9, 30)));
        using var policy = new ChatClientPolicyModel(client);
        var loop = new SelfRefinementLoop(policy, harness.Critic, harness.Trainer, harness.Options);

        var result = await loop.RunStageTwoAsync(LoopHarness.Items(3, "s"));

        Assert.Equal(3, result.Kept);
        Assert.Equal(90, result.CompletionTokens);
        var pair = harness.Trainer.PreferenceRequests.Single().Pairs.Single(p => p.Id == "s-001");
        Assert.Equal("Better Instruction number 1", pair.Chosen);
        Assert.Equal("First Instruction number 1", pair.Rejected);
        Assert.All(client.Requests, request => Assert.Equal(harness.Options.StageTwoMaxNewTokens, request.Options!.MaxOutputTokens));
    }

    private static List<IReadOnlyList<ChatMessage>> Prompts(int count) =>
        Enumerable.Range(0, count).Select(i => (IReadOnlyList<ChatMessage>)[new ChatMessage(ChatRole.User, $"p{i}")]).ToList();

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
