using System.Text.Json.Nodes;
using Srt.Testing;

namespace Srt.OpenAI.Tests;

/// <summary>
/// The body of each OpenAI-batch request line (for <c>vllm run-batch</c>) is the JSON the OpenAI-compatible policy
/// sends over HTTP for the same item of the same run: compared byte-for-byte as JSON trees against what a loopback
/// server received from the loop.
/// </summary>
public sealed class PolicyBatchFileBodyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("srt-batchbody-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task WriteStageOneRequests_SameRun_EachBodyEqualsTheHttpRequestBody()
    {
        using var server = new LoopbackOpenAIServer();
        server.ServePolicy("policy-test", prompt => "answer");
        using var policy = OpenAIPolicy.Create("policy-test", server.Endpoint);
        var critic = OpenAICritic.Create(new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint });
        InstructionItem[] items = [new("a", "Name a prime."), new("b", "Name a colour."), new("c", "Name a river.")];
        SelfRefinementOptions Options(string run) => new()
        {
            RunDirectory = Path.Combine(_folder, run),
            Seed = 40,
            GenerationBatchSize = 2,
            TopP = 0.8f,
            MaxNewTokens = 77,
            SystemPrompt = "Answer in one word.",
        };
        await new SelfRefinementLoop(policy, critic, new NoTrainer(), Options("http")).RunStageOneAsync(items);

        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(Options("batch"), items, Path.Combine(_folder, "requests.jsonl"), "policy-test");

        ServedRequest[] sent = server.LogSnapshot().Where(request => request.Kind == "policy:policy-test").ToArray();
        Assert.Equal(3, sent.Length);
        foreach (string line in File.ReadAllLines(written.RequestFile))
        {
            JsonNode body = JsonNode.Parse(line)!["body"]!;
            string prompt = string.Concat(body["messages"]!.AsArray().Select(message => (string)message!["content"]!));
            ServedRequest http = Assert.Single(sent, request => request.Prompt == prompt);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(http.Body), body), $"batch body {body.ToJsonString()} differs from HTTP body {http.Body}");
        }
    }

    private sealed class NoTrainer : ITrainer
    {
        public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new TrainingResult(1, 0.5));

        public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
    }
}
