using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp.Tests.Generation;

[Collection(TorchSharpCollection.Name)]
public sealed class TorchSharpPolicyModelTests : IDisposable
{
    private readonly CausalLanguageModel _bundle = TinyChatModel.Create();

    public void Dispose() => _bundle.Dispose();

    private static IReadOnlyList<ChatMessage> Ask(string text) => [new ChatMessage(ChatRole.User, text)];

    private static readonly IReadOnlyList<IReadOnlyList<ChatMessage>> Prompts =
        [Ask("Hi"), Ask("Write a long answer please"), Ask("Why?"), Ask("A medium question")];

    [Fact]
    public async Task GenerateAsync_Greedy_MatchesGeneratorOnRenderedPromptWithCounts()
    {
        var policy = new TorchSharpPolicyModel(_bundle);
        var completions = await policy.GenerateAsync(Prompts, new GenerationOptions { Temperature = 0, MaxNewTokens = 8 });
        Assert.Equal(Prompts.Count, completions.Count);
        for (var i = 0; i < Prompts.Count; i++)
        {
            var prompt = _bundle.ChatTemplate.EncodePrompt(_bundle.Tokenizer, Prompts[i]);
            var expected = _bundle.Generator.Generate([prompt], new GenerationOptions { Temperature = 0, MaxNewTokens = 8 }).Sequences[0];
            Assert.Equal(expected.Text, completions[i].Text);
            Assert.Equal(expected.FinishReason, completions[i].FinishReason);
            Assert.Equal(prompt.Count, completions[i].PromptTokens);
            Assert.Equal(expected.CompletionTokens, completions[i].CompletionTokens);
        }
    }

    [Fact]
    public async Task GenerateAsync_SeededSampling_SameForAnyBatchSize()
    {
        var options = new GenerationOptions { Temperature = 1.2f, MaxNewTokens = 12, Seed = 77 };
        var one = await new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { BatchSize = 1 }).GenerateAsync(Prompts, options);
        var three = await new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { BatchSize = 3 }).GenerateAsync(Prompts, options);
        Assert.Equal(one.Select(c => c.Text), three.Select(c => c.Text));
        var otherSeed = await new TorchSharpPolicyModel(_bundle).GenerateAsync(Prompts, new GenerationOptions { Temperature = 1.2f, MaxNewTokens = 12, Seed = 78 });
        Assert.NotEqual(one.Select(c => c.Text), otherSeed.Select(c => c.Text));
    }

    [Fact]
    public async Task GenerateAsync_NoOptions_UsesConfiguredDefaults()
    {
        var policy = new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions
        {
            DefaultGenerationOptions = new GenerationOptions { Temperature = 0, MaxNewTokens = 3 },
        });
        var completions = await policy.GenerateAsync([Ask("Hi")]);
        Assert.True(completions[0].CompletionTokens <= 3);
    }

    [Fact]
    public async Task GenerateAsync_ConcurrentCalls_AreSerializedAndEachCorrect()
    {
        var policy = new TorchSharpPolicyModel(_bundle);
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 8 };
        var prompts = Prompts.Take(2).ToArray();
        var alone = await policy.GenerateAsync(prompts, options);
        var together = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => policy.GenerateAsync(prompts, options)));
        Assert.All(together, result => Assert.Equal(alone.Select(c => c.Text), result.Select(c => c.Text)));
    }

    [Fact]
    public async Task GenerateAsync_CancelledWhileWaitingForTheModel_ThrowsOperationCanceled()
    {
        // Deterministic, unlike a timer: the model is busy (as while the trainer holds it), so the call is queued.
        // Cancellation between decoding steps is covered by TextGeneratorTests.Cancellation_DuringGeneration_ThrowsAndStops.
        var policy = new TorchSharpPolicyModel(_bundle);
        using var release = new ManualResetEventSlim();
        var busy = _bundle.RunExclusiveAsync(() => release.Wait(TimeSpan.FromSeconds(30)));
        using var cancellation = new CancellationTokenSource();
        var call = policy.GenerateAsync(Prompts, new GenerationOptions { Temperature = 0, MaxNewTokens = 8 }, cancellation.Token);

        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        release.Set();
        Assert.True(await busy);
    }

    [Fact]
    public async Task GenerateAsync_OneMegabyteInstructionInABatch_FailsAloneNamingTheLimit()
    {
        // One unsplit 1 MB word among normal prompts: it is rejected before any generation, the others complete.
        var huge = Ask(string.Concat(Enumerable.Repeat("abcdefghij", 100_000)));
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts = [Prompts[0], Prompts[1], huge, Prompts[2], Prompts[3]];
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 8 };
        var policy = new TorchSharpPolicyModel(_bundle);

        var completions = await policy.GenerateAsync(prompts, options);

        var failed = completions[2];
        Assert.Equal(CompletionFinishReason.Failed, failed.FinishReason);
        Assert.Contains("512", failed.Error);
        Assert.Contains("max_position_embeddings", failed.Error);
        Assert.True(failed.PromptTokens > 1_000_000);
        Assert.Equal(string.Empty, failed.Text);
        var normal = await policy.GenerateAsync(Prompts, options);
        Assert.Equal(normal.Select(c => (c.Text, c.FinishReason, c.CompletionTokens)),
            completions.Where((_, i) => i != 2).Select(c => (c.Text, c.FinishReason, c.CompletionTokens)));
        Assert.All(normal, c => Assert.Null(c.Error));
    }

    [Fact]
    public async Task GenerateAsync_MaxSequenceTokens_FailsPromptsThatFillItAndCapsTheRestWithLength()
    {
        var policy = new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { MaxSequenceTokens = 64 });
        var prompt = _bundle.ChatTemplate.EncodePrompt(_bundle.Tokenizer, Prompts[1]);
        var completions = await policy.GenerateAsync(
            [Prompts[0], Prompts[1], Ask(new string('x', 70))], new GenerationOptions { Temperature = 0, MaxNewTokens = 100 });

        Assert.Equal(CompletionFinishReason.Failed, completions[2].FinishReason);
        Assert.Contains("TorchSharpPolicyModelOptions.MaxSequenceTokens", completions[2].Error);
        Assert.Contains("64", completions[2].Error);
        Assert.Equal(CompletionFinishReason.Length, completions[1].FinishReason);
        Assert.Equal(64 - prompt.Count, completions[1].CompletionTokens);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1.1f)]
    public async Task GenerateAsync_ContinuousAndStaticBatching_GiveTheSameCompletions(float temperature)
    {
        var options = new GenerationOptions { Temperature = temperature, MaxNewTokens = 24, Seed = 5 };
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts = [.. Prompts, Ask("One more"), Ask("And the last of them, a longer one")];
        var continuous = await new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { BatchSize = 2 }).GenerateAsync(prompts, options);
        var statics = await new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { BatchSize = 3, Batching = GenerationBatching.Static })
            .GenerateAsync(prompts, options);
        Assert.Equal(statics.Select(c => (c.Text, c.FinishReason, c.CompletionTokens)), continuous.Select(c => (c.Text, c.FinishReason, c.CompletionTokens)));
    }

    [Fact]
    public void GetService_ReturnsModelTokenizerTemplateGeneratorAndItself()
    {
        var policy = new TorchSharpPolicyModel(_bundle);
        Assert.Same(_bundle.Model, policy.GetService(typeof(LlamaForCausalLM)));
        Assert.Same(_bundle.Tokenizer, policy.GetService(typeof(ModelTokenizer)));
        Assert.Same(_bundle.ChatTemplate, policy.GetService(typeof(IChatTemplate)));
        Assert.Same(_bundle.Generator, policy.GetService(typeof(TextGenerator)));
        Assert.Same(_bundle, policy.GetService(typeof(CausalLanguageModel)));
        Assert.Same(policy, policy.GetService(typeof(IPolicyModel)));
        Assert.Null(policy.GetService(typeof(string)));
        Assert.Null(policy.GetService(typeof(LlamaForCausalLM), "key"));
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        Assert.Throws<ArgumentException>(() => new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { MaxSequenceTokens = 1 }));
        Assert.Throws<ArgumentException>(() => new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions { Batching = (GenerationBatching)7 }));
        Assert.Throws<ArgumentException>(() => new TorchSharpPolicyModel(_bundle, new TorchSharpPolicyModelOptions
        {
            DefaultGenerationOptions = new GenerationOptions { TopP = 2 },
        }));
    }
}
