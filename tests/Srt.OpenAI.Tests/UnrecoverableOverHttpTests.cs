using Microsoft.Extensions.AI;
using Srt.Evaluation;
using Srt.Testing;

namespace Srt.OpenAI.Tests;

/// <summary>Over a real HTTP wire: a wrong key stops the run at the first call; a body cut short is retried.</summary>
public sealed class UnrecoverableOverHttpTests : IDisposable
{
    private readonly string _runDirectory = Directory.CreateTempSubdirectory("srt-http-stop-").FullName;

    public void Dispose() => Directory.Delete(_runDirectory, recursive: true);

    private static InstructionItem[] Items(int count) =>
        Enumerable.Range(0, count).Select(i => new InstructionItem($"item-{i}", $"Instruction number {i}")).ToArray();

    private static OpenAICriticOptions Options(LoopbackOpenAIServer server, string key)
    {
        var options = new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint, ApiKey = key };
        options.Critic.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), UseJitter = false };
        return options;
    }

    [Fact]
    public async Task StageOne_WrongKey_StopsAtFirstCallNamingTheKeyRecordsNothingAndRerunWithGoodKeyDoesAllTheWork()
    {
        using var server = new LoopbackOpenAIServer { RequiredKey = "good-key" };
        var trainer = new TestTrainer();
        var runOptions = new SelfRefinementOptions { RunDirectory = _runDirectory, MaxConcurrentCriticCalls = 1 };
        var wrong = OpenAICritic.Create(Options(server, "wrong-key"));

        var stop = await Assert.ThrowsAsync<UnrecoverableCallException>(() => new SelfRefinementLoop(new TestPolicyModel(), wrong, trainer, runOptions).RunStageOneAsync(Items(30)));

        Assert.Equal(1, server.Unauthorized);
        Assert.Equal(0, server.Total);
        Assert.Equal(401, stop.StatusCode);
        Assert.Equal("critique", stop.Phase);
        Assert.Contains("API key", stop.Message, StringComparison.Ordinal);
        Assert.IsType<System.ClientModel.ClientResultException>(stop.InnerException);
        Assert.Equal(0, wrong.ChatClient.GetService<RetryingChatClient>()!.Retries);
        Assert.False(File.Exists(Path.Combine(_runDirectory, "stage1", "failures.jsonl")));
        Assert.False(File.Exists(Path.Combine(_runDirectory, "stage1", "outcomes.jsonl")));
        Assert.Empty(trainer.SupervisedRequests);

        runOptions.MaxConcurrentCriticCalls = 8;
        var rerun = await new SelfRefinementLoop(new TestPolicyModel(), OpenAICritic.Create(Options(server, "good-key")), trainer, runOptions).RunStageOneAsync(Items(30));

        Assert.Equal(30, rerun.Kept);
        Assert.Empty(rerun.Failures);
        Assert.Equal(30, server.Count("critique"));
        Assert.Equal(30, server.Count("score"));
        Assert.Equal(1, server.Unauthorized);
    }

    [Fact]
    public async Task StageOne_TruncatedJsonBody_RetriedAndTheItemSucceeds()
    {
        using var server = new LoopbackOpenAIServer();
        server.TruncateNext();
        var critic = OpenAICritic.Create(Options(server, "key"));

        var result = await new SelfRefinementLoop(new TestPolicyModel(), critic, new TestTrainer(), new SelfRefinementOptions { RunDirectory = _runDirectory, MaxConcurrentCriticCalls = 1 })
            .RunStageOneAsync(Items(2));

        Assert.Equal(2, result.Kept);
        Assert.Empty(result.Failures);
        Assert.Equal(1, critic.ChatClient.GetService<RetryingChatClient>()!.Retries);
        Assert.Equal(3, server.Count("critique"));
        Assert.Equal(2, server.Count("score"));
    }

    [Fact]
    public async Task Judge_WrongKey_StopsAtFirstCallAndRecordsNoFailure()
    {
        using var server = new LoopbackOpenAIServer { RequiredKey = "good-key" };
        IChatClient client = OpenAICritic.CreateChatClient(Options(server, "wrong-key"));
        string cache = Path.Combine(_runDirectory, "judge");
        var judge = new PairwiseJudge(client, new PairwiseJudgeOptions { CacheDirectory = cache, MaxConcurrency = 1 });
        var items = Enumerable.Range(0, 32).Select(i => new PairwiseItem($"q{i}", $"Question {i}?", $"answer {i}", $"reference {i}"));

        var stop = await Assert.ThrowsAsync<UnrecoverableCallException>(() => judge.JudgeAsync(items));

        Assert.Equal("judging", stop.Phase);
        Assert.Equal(1, server.Unauthorized);
        Assert.False(File.Exists(Path.Combine(cache, "judge-failures.jsonl")));
    }
}
