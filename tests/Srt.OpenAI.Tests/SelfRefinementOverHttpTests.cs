using Srt.Testing;

namespace Srt.OpenAI.Tests;

/// <summary>
/// Stage 1 end to end over a real HTTP wire: the Srt.OpenAI critic talks to an OpenAI-compatible server on loopback
/// that first answers 429 (with Retry-After) and 500, then canned critiques and scores.
/// </summary>
public sealed class SelfRefinementOverHttpTests : IDisposable
{
    private readonly string _runDirectory = Directory.CreateTempSubdirectory("srt-http-").FullName;

    public void Dispose() => Directory.Delete(_runDirectory, recursive: true);

    [Fact]
    public async Task StageOne_ServerThrottlesThenFails_RetriedAndEveryItemTrainedOnce()
    {
        using var server = new LoopbackOpenAIServer();
        server.FailNext(429, retryAfter: "1");
        server.FailNext(500);
        var options = new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint };
        options.Critic.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(20), UseJitter = false };
        var critic = OpenAICritic.Create(options);
        var trainer = new TestTrainer();
        var loop = new SelfRefinementLoop(new TestPolicyModel { AnswerCallback = instruction => new PolicyCompletion($"answer to {instruction}") }, critic, trainer, new SelfRefinementOptions { RunDirectory = _runDirectory, MaxConcurrentCriticCalls = 1 });
        InstructionItem[] items = [new("a", "Name a prime."), new("b", "Name a colour."), new("c", "Name a river.")];

        var first = await loop.RunStageOneAsync(items);

        Assert.Equal(3, first.Kept);
        Assert.Empty(first.Failures);
        Assert.Equal(3, server.Count("critique"));
        Assert.Equal(3, server.Count("score"));
        Assert.Equal(2, server.FaultsAnswered);
        Assert.Equal(2, critic.GetService<RetryingChatClient>()?.Retries);
        Assert.Equal(3.0, first.AverageResponseScore);
        Assert.Equal(8.0, first.AverageRefinementScore);
        var example = Assert.Single(trainer.SupervisedRequests.SelectMany(request => request.Examples), e => e.Id == "b");
        Assert.Equal("Name a colour.", Assert.Single(example.Prompt).Text);
        string completion = string.Concat(example.Completion.Select(s => s.Text));
        Assert.StartsWith("answer to Name a colour.", completion, StringComparison.Ordinal);
        Assert.Contains("Be specific.", completion, StringComparison.Ordinal);
        Assert.Contains("A specific, complete answer.", completion, StringComparison.Ordinal);

        int requestsBefore = server.Total + server.FaultsAnswered;
        var again = await new SelfRefinementLoop(new TestPolicyModel { AnswerCallback = instruction => new PolicyCompletion($"answer to {instruction}") }, OpenAICritic.Create(options), trainer, new SelfRefinementOptions { RunDirectory = _runDirectory })
            .RunStageOneAsync(items);

        Assert.Equal(3, again.Kept);
        Assert.Equal(requestsBefore, server.Total + server.FaultsAnswered);
        Assert.Single(trainer.SupervisedRequests);
        Assert.Equal(Path.Combine(_runDirectory, "stage1", "training", "checkpoint-2"), Assert.Single(trainer.Restored));
    }
}
