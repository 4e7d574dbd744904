using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Policies;

/// <summary>
/// Policy generation through OpenAI-batch files (<c>vllm run-batch</c>), tested with files and no engine: the test
/// writes the output file an engine would, line by line in vLLM's output format.
/// </summary>
public sealed class PolicyBatchFilesTests
{
    [Fact]
    public void WriteStageOneRequests_NewRun_OneLinePerItemWithLoopSettingsAndSeedPerBatchIndex()
    {
        using var harness = NewHarness();

        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(harness.Options, LoopHarness.Items(3), harness.Folder.File("requests.jsonl"), "tulu-7b");

        Assert.Equal(3, written.Requests);
        JsonObject[] lines = ReadLines(written.RequestFile);
        Assert.Equal(["item-000", "item-001", "item-002"], lines.Select(line => (string)line["custom_id"]!));
        Assert.All(lines, line => Assert.Equal("POST", (string)line["method"]!));
        Assert.All(lines, line => Assert.Equal("/v1/chat/completions", (string)line["url"]!));

        // Batches of 2: seeds 100 + index within the batch, as the loop sends them.
        Assert.Equal([100L, 101L, 100L], lines.Select(line => (long)line["body"]!["seed"]!));
        JsonNode body = lines[1]["body"]!;
        Assert.Equal("tulu-7b", (string)body["model"]!);
        Assert.Equal(0.7f, (float)body["temperature"]!);
        Assert.Equal(0.9f, (float)body["top_p"]!);
        Assert.Equal(300, (int)body["max_tokens"]!);
        Assert.Equal(300, (int)body["max_completion_tokens"]!);
        Assert.Equal("system", (string)body["messages"]![0]!["role"]!);
        Assert.Equal("Be brief.", (string)body["messages"]![0]!["content"]!);
        Assert.Equal("user", (string)body["messages"]![1]!["role"]!);
        Assert.Equal("Instruction number 1", (string)body["messages"]![1]!["content"]!);
    }

    [Fact]
    public async Task WriteStageOneRequests_SameRun_RequestsEqualWhatChatClientPolicyModelSends()
    {
        using var harness = NewHarness();
        var items = LoopHarness.Items(5);
        var client = new CallbackChatClient((prompt, _, _) => Task.FromResult(CallbackChatClient.Answer("Answer", ChatFinishReason.Stop, 11, 7)));
        using var policy = new ChatClientPolicyModel(client, new ChatClientPolicyModelOptions { ModelId = "tulu-7b", Retry = null });
        using var inProcess = NewHarness();
        await new SelfRefinementLoop(policy, inProcess.Critic, inProcess.Trainer, inProcess.Options).RunStageOneAsync(items);

        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("requests.jsonl"), "tulu-7b");

        var sent = client.Requests.ToDictionary(request => request.Prompt);
        Assert.Equal(5, sent.Count);
        foreach (JsonObject line in ReadLines(written.RequestFile))
        {
            JsonNode body = line["body"]!;
            string prompt = string.Concat(body["messages"]!.AsArray().Select(message => (string)message!["content"]!));
            ChatOptions options = sent[prompt].Options!;
            Assert.Equal(options.ModelId, (string)body["model"]!);
            Assert.Equal(options.Seed, (long)body["seed"]!);
            Assert.Equal(options.Temperature, (float)body["temperature"]!);
            Assert.Equal(options.TopP, (float)body["top_p"]!);
            Assert.Equal(options.MaxOutputTokens, (int)body["max_tokens"]!);
            Assert.Null(options.TopK);
            Assert.Null(body["top_k"]);
        }
    }

    [Fact]
    public async Task StageOne_ThroughBatchFiles_SameRunDirectoryAndResultAsInProcess()
    {
        var items = LoopHarness.Items(5);
        using var inProcess = NewHarness();
        inProcess.Policy.AnswerCallback = instruction => new PolicyCompletion($"Answer to: {instruction}", CompletionFinishReason.Stop, 11, 7);
        StageOneResult expected = await inProcess.CreateLoop().RunStageOneAsync(items);

        using var offline = NewHarness();
        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(offline.Options, items, offline.Folder.File("requests.jsonl"), "m");
        string output = Engine(written.RequestFile, offline.Folder.File("results.jsonl"));
        PolicyBatchResults read = PolicyBatchFiles.ReadStageOneResults(offline.Options, items, output);
        offline.Policy.GenerateAsyncCallback = (_, _, _) => throw new InvalidOperationException("The loop must not call the policy.");
        StageOneResult actual = await offline.CreateLoop().RunStageOneAsync(items);

        Assert.Equal(5, read.Imported);
        Assert.Equal(0, read.Missing);
        Assert.Equal(0, offline.Policy.PromptCount);
        Assert.Equal(File.ReadAllText(inProcess.Folder.File("stage1", "responses.jsonl")), File.ReadAllText(offline.Folder.File("stage1", "responses.jsonl")));
        Assert.Equal(File.ReadAllText(inProcess.Folder.File("stage1", "examples.jsonl")), File.ReadAllText(offline.Folder.File("stage1", "examples.jsonl")));
        Assert.Equal((expected.Kept, expected.Generated, expected.CriticCalls), (actual.Kept, actual.Generated, actual.CriticCalls));
        Assert.Equal(5, actual.Kept);
    }

    [Fact]
    public void ReadStageOneResults_ReadTwice_StoresNothingTwiceAndNextRequestFileIsEmpty()
    {
        using var harness = NewHarness();
        var items = LoopHarness.Items(3);
        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("requests.jsonl"), "m");
        string output = Engine(written.RequestFile, harness.Folder.File("results.jsonl"));

        PolicyBatchFiles.ReadStageOneResults(harness.Options, items, output);
        PolicyBatchResults again = PolicyBatchFiles.ReadStageOneResults(harness.Options, items, output);
        PolicyBatchRequests next = PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("requests.jsonl"), "m");

        Assert.Equal((0, 3), (again.Imported, again.AlreadyStored));
        Assert.Equal(3, File.ReadAllLines(harness.Folder.File("stage1", "responses.jsonl")).Length);
        Assert.Equal((0, 3), (next.Requests, next.Stored));
        Assert.Empty(File.ReadAllText(next.RequestFile));
    }

    [Fact]
    public async Task ReadStageOneResults_ErrorLine_RecordedAsFailedGenerationAndRequestedAgain()
    {
        using var harness = NewHarness();
        var items = LoopHarness.Items(3);
        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("requests.jsonl"), "m");
        string output = Engine(written.RequestFile, harness.Folder.File("results.jsonl"), failId: "item-001");

        PolicyBatchResults read = PolicyBatchFiles.ReadStageOneResults(harness.Options, items, output);
        PolicyBatchRequests retry = PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("retry.jsonl"), "m");

        ItemFailure failure = Assert.Single(read.Failures);
        Assert.Equal(("item-001", StagePhase.Generating), (failure.Id, failure.Phase));
        Assert.Contains("HTTP 400", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("maximum context length", failure.Reason, StringComparison.Ordinal);
        Assert.Equal((2, 1), (read.Imported, read.Missing));
        Assert.Equal(["item-001"], ReadLines(retry.RequestFile).Select(line => (string)line["custom_id"]!));

        // Without retries the loop settles the item as failed with the engine's reason and calls no policy.
        harness.Options.RetryFailedItems = false;
        Assert.Equal((0, 1), (PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("none.jsonl"), "m").Requests,
            PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("none.jsonl"), "m").NotRetried));
        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(items);
        Assert.Equal(0, harness.Policy.PromptCount);
        Assert.Equal(2, result.Kept);
        Assert.Equal(failure.Reason, Assert.Single(result.Failures).Reason);
    }

    [Fact]
    public void ReadStageOneResults_TornLastLine_SkipsItAndItemStaysMissing()
    {
        using var harness = NewHarness();
        var items = LoopHarness.Items(3);
        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("requests.jsonl"), "m");
        string output = Engine(written.RequestFile, harness.Folder.File("results.jsonl"));
        string text = File.ReadAllText(output);
        File.WriteAllText(output, text[..(text.TrimEnd('\n').Length - 20)]);

        PolicyBatchResults read = PolicyBatchFiles.ReadStageOneResults(harness.Options, items, output);

        Assert.Equal((2, 1), (read.Imported, read.Missing));
        Assert.Empty(read.Failures);
    }

    [Fact]
    public void ReadStageOneResults_UnknownCustomId_ThrowsNamingFileAndLine()
    {
        using var harness = NewHarness();
        var items = LoopHarness.Items(2);
        PolicyBatchRequests written = PolicyBatchFiles.WriteStageOneRequests(harness.Options, items, harness.Folder.File("requests.jsonl"), "m");
        string output = Engine(written.RequestFile, harness.Folder.File("results.jsonl"));

        var error = Assert.Throws<InvalidDataException>(() => PolicyBatchFiles.ReadStageOneResults(harness.Options, items.Take(1), output));

        Assert.Contains("results.jsonl, line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("'item-001'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadStageOneResults_BrokenMiddleLine_ThrowsNamingLine()
    {
        using var harness = NewHarness();
        string output = harness.Folder.File("results.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, "{\"custom_id\":\n{\"custom_id\":\"item-000\"}\n");

        var error = Assert.Throws<InvalidDataException>(() => PolicyBatchFiles.ReadStageOneResults(harness.Options, LoopHarness.Items(1), output));

        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StageTwo_ThroughBatchFiles_StageTwoTokenLimitAndSamePairs()
    {
        var items = Enumerable.Range(0, 3).Select(index => new InstructionItem($"s2-{index}", $"Improve {index}")).ToList();
        string[] texts = [SelfRefinementText.Of("first 0", 5, "better 0", 8), SelfRefinementText.Of("first 1", 6, "worse 1", 2), "no feedback"];
        using var harness = NewHarness();
        PolicyBatchRequests written = PolicyBatchFiles.WriteStageTwoRequests(harness.Options, items, harness.Folder.File("requests2.jsonl"), "stage1-model");
        string output = Engine(written.RequestFile, harness.Folder.File("results2.jsonl"), answer: customId => texts[int.Parse(customId[3..], System.Globalization.CultureInfo.InvariantCulture)]);

        PolicyBatchFiles.ReadStageTwoResults(harness.Options, items, output);
        harness.Policy.GenerateAsyncCallback = (_, _, _) => throw new InvalidOperationException("The loop must not call the policy.");
        StageTwoResult result = await harness.CreateLoop().RunStageTwoAsync(items);

        Assert.All(ReadLines(written.RequestFile), line => Assert.Equal(6144, (int)line["body"]!["max_tokens"]!));
        Assert.Equal((1, 1, 1), (result.Kept, result.FilteredNotImproved, result.FilteredUnparseable));
        Assert.Equal("better 0", harness.Trainer.PreferenceRequests.Single().Pairs.Single().Chosen.Trim());
    }

    private static LoopHarness NewHarness()
    {
        var harness = new LoopHarness();
        harness.Options.Seed = 100;
        harness.Options.GenerationBatchSize = 2;
        harness.Options.TopP = 0.9f;
        harness.Options.MaxNewTokens = 300;
        harness.Options.SystemPrompt = "Be brief.";
        return harness;
    }

    private static JsonObject[] ReadLines(string path) =>
        File.ReadAllLines(path).Where(line => line.Length > 0).Select(line => JsonNode.Parse(line)!.AsObject()).ToArray();

    /// <summary>Answers a request file as <c>vllm run-batch</c> writes its output file, in request order.</summary>
    private static string Engine(string requestFile, string outputFile, string? failId = null, Func<string, string>? answer = null)
    {
        var lines = new List<string>();
        foreach (JsonObject request in ReadLines(requestFile))
        {
            string id = (string)request["custom_id"]!;
            string instruction = (string)request["body"]!["messages"]!.AsArray().Last()!["content"]!;
            object line = id == failId
                ? new { id = "vllm-1", custom_id = id, response = new { status_code = 400, request_id = "vllm-batch-1", body = (object?)null }, error = (string?)"This model's maximum context length is 4096 tokens." }
                : new
                {
                    id = "vllm-2",
                    custom_id = id,
                    response = new
                    {
                        status_code = 200,
                        request_id = "vllm-batch-2",
                        body = (object?)new
                        {
                            id = "chatcmpl-1",
                            @object = "chat.completion",
                            model = (string)request["body"]!["model"]!,
                            choices = new[] { new { index = 0, message = new { role = "assistant", content = answer?.Invoke(id) ?? $"Answer to: {instruction}" }, finish_reason = "stop" } },
                            usage = new { prompt_tokens = 11, completion_tokens = 7, total_tokens = 18 },
                        },
                    },
                    error = (string?)null,
                };
            lines.Add(JsonSerializer.Serialize(line));
        }

        File.WriteAllText(outputFile, string.Join("\n", lines) + "\n");
        return outputFile;
    }
}
