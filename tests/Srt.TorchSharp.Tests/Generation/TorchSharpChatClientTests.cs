using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;

namespace Srt.TorchSharp.Tests.Generation;

[Collection(TorchSharpCollection.Name)]
public sealed class TorchSharpChatClientTests : IDisposable
{
    private readonly CausalLanguageModel _bundle = TinyChatModel.Create();

    public void Dispose() => _bundle.Dispose();

    private static ChatMessage[] Ask(string text) => [new ChatMessage(ChatRole.User, text)];

    [Fact]
    public void ToGenerationOptions_MapsEveryHonouredOptionAndKeepsDefaults()
    {
        var defaults = new GenerationOptions { Temperature = 0.3f, TopP = 0.8f, TopK = 5, MaxNewTokens = 99, Seed = 1 };
        defaults.StopSequences.Add("##");
        var mapped = TorchSharpChatClient.ToGenerationOptions(
            new ChatOptions { Temperature = 0.9f, TopP = 0.5f, TopK = 7, MaxOutputTokens = 12, Seed = 42, StopSequences = ["END"] }, defaults);
        Assert.Equal((0.9f, 0.5f, 7, 12, 42L), (mapped.Temperature, mapped.TopP, mapped.TopK, mapped.MaxNewTokens, mapped.Seed!.Value));
        Assert.Equal(["##", "END"], mapped.StopSequences);

        var unset = TorchSharpChatClient.ToGenerationOptions(new ChatOptions(), defaults);
        Assert.Equal((0.3f, 0.8f, 5, 99, 1L), (unset.Temperature, unset.TopP, unset.TopK, unset.MaxNewTokens, unset.Seed!.Value));
        Assert.Single(defaults.StopSequences); // defaults untouched
    }

    [Fact]
    public async Task GetResponseAsync_MaxOutputTokens_GivesLengthUsageAndModelId()
    {
        using var client = _bundle.AsChatClient();
        var response = await client.GetResponseAsync(Ask("Hello"), new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });
        var promptTokens = _bundle.ChatTemplate.EncodePrompt(_bundle.Tokenizer, Ask("Hello")).Count;
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(promptTokens, response.Usage!.InputTokenCount);
        Assert.Equal(6, response.Usage.OutputTokenCount);
        Assert.Equal(promptTokens + 6, response.Usage.TotalTokenCount);
        Assert.Equal("tiny-chat", response.ModelId);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
    }

    [Fact]
    public async Task GetResponseAsync_StopSequence_CutsTextAndReportsStop()
    {
        using var client = _bundle.AsChatClient();
        var free = (await client.GetResponseAsync(Ask("Hello"), new ChatOptions { Temperature = 0, MaxOutputTokens = 40 })).Text;
        var stop = free.Substring(free.Length / 2, 1);
        var response = await client.GetResponseAsync(Ask("Hello"), new ChatOptions { Temperature = 0, MaxOutputTokens = 40, StopSequences = [stop] });
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(free[..free.IndexOf(stop, StringComparison.Ordinal)], response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_Instructions_BecomeSystemMessage()
    {
        using var client = _bundle.AsChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 4, Instructions = "Be brief." };
        var withInstructions = await client.GetResponseAsync(Ask("Hello"), options);
        var prompt = _bundle.ChatTemplate.EncodePrompt(_bundle.Tokenizer, [new ChatMessage(ChatRole.System, "Be brief."), .. Ask("Hello")]);
        Assert.Equal(prompt.Count, withInstructions.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Updates_JoinToNonStreamingTextWithFinalReasonAndUsage()
    {
        using var client = _bundle.AsChatClient();
        var options = new ChatOptions { Temperature = 1.1f, Seed = 8, MaxOutputTokens = 25 };
        var response = await client.GetResponseAsync(Ask("Stream this"), options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Ask("Stream this"), options))
        {
            updates.Add(update);
        }
        Assert.True(updates.Count > 2);
        Assert.Equal(response.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
        Assert.Equal(response.FinishReason, updates[^1].FinishReason);
        var usage = updates[^1].Contents.OfType<UsageContent>().Single().Details;
        Assert.Equal(response.Usage!.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(response.Text, updates.ToChatResponse().Text);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ConsumerStopsEarly_ReleasesTheModel()
    {
        using var client = _bundle.AsChatClient();
        await foreach (var update in client.GetStreamingResponseAsync(Ask("Hi"), new ChatOptions { Temperature = 0, MaxOutputTokens = 100_000 }))
        {
            break; // must cancel generation, or the next call would wait for 100,000 tokens
        }
        var next = client.GetResponseAsync(Ask("Hi"), new ChatOptions { Temperature = 0, MaxOutputTokens = 2 });
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal(2, (await next).Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task GetResponseAsync_CancelledWhileWaitingForTheModel_ThrowsOperationCanceled()
    {
        // Deterministic, unlike a timer: the model is busy, so the call is still queued when it is cancelled.
        using var client = _bundle.AsChatClient();
        using var release = new ManualResetEventSlim();
        var busy = _bundle.RunExclusiveAsync(() => release.Wait(TimeSpan.FromSeconds(30)));
        using var cancellation = new CancellationTokenSource();
        var call = client.GetResponseAsync(Ask("Hi"), new ChatOptions { Temperature = 0, MaxOutputTokens = 8 }, cancellation.Token);

        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        release.Set();
        Assert.True(await busy);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CancelledDuringGeneration_ThrowsOperationCanceled()
    {
        using var client = _bundle.AsChatClient();
        using var cancellation = new CancellationTokenSource();
        var updates = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 100_000 };
            await foreach (var update in client.GetStreamingResponseAsync(Ask("Hello"), options, cancellation.Token))
            {
                if (++updates == 1)
                {
                    cancellation.Cancel();
                }
            }
        });

        Assert.True(updates >= 1);
    }

    [Fact]
    public void GetService_ReturnsMetadataAndBundle()
    {
        using var client = _bundle.AsChatClient();
        var metadata = client.GetService<ChatClientMetadata>();
        Assert.Equal("tiny-chat", metadata!.DefaultModelId);
        Assert.Equal("srt-torchsharp", metadata.ProviderName);
        Assert.Same(_bundle, client.GetService<CausalLanguageModel>());
        Assert.Same(_bundle.Model, client.GetService<Srt.TorchSharp.Modeling.LlamaForCausalLM>());
    }
}
