using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Srt.Testing;

namespace Srt.OpenAI.Tests;

/// <summary>
/// Stage 1 with its critiques and refinement scores sent through the Batch API of a loopback server, over a real HTTP
/// wire, against the same canned answers in synchronous mode: faults (429 on create, a failed batch, a batch that
/// expires half done, line errors) and a child process killed between create and the first poll.
/// </summary>
public sealed class BatchCritiqueTests : IDisposable
{
    private const int ItemCount = 30;
    private readonly string _root = Directory.CreateTempSubdirectory("srt-batch-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static IReadOnlyList<InstructionItem> Items(int count) =>
        Enumerable.Range(0, count).Select(index => new InstructionItem($"item-{index:D3}", $"Instruction number {index}")).ToList();

    [Fact]
    public async Task RunStageOne_BatchesFailExpireAndThrottle_KeepsWhatSynchronousModeKeepsAndCreatesNoBatchTwice()
    {
        using var server = new LoopbackBatchServer();
        IReadOnlyList<InstructionItem> items = Items(ItemCount);
        (StageOneResult synchronous, TestTrainer syncTrainer) = await RunSynchronousAsync(server, items);
        (int critiqueCalls, int scoreCalls) = (server.Count("critique"), server.Count("score"));

        server.FailNextCreate(429, retryAfter: "0");
        server.NextBatches(BatchFate.Complete, BatchFate.ExpireHalf, BatchFate.Fail, BatchFate.Complete);
        server.FailLine("item-000:critique");
        server.FailLine("item-001:score");
        var batchCritic = CreateBatchCritic(server, new OpenAIBatchOptions { MaxRequestsPerFile = 8 });
        var trainer = new TestTrainer();
        string run = Path.Combine(_root, "batch");
        StageOneResult batched = await new SelfRefinementLoop(new TestPolicyModel(), batchCritic, trainer, new SelfRefinementOptions { RunDirectory = run, CritiqueInBatches = true })
            .RunStageOneAsync(items);

        // Zero items lost, the same kept set and the same training sequences.
        Assert.Empty(batched.Failures);
        Assert.Equal(ItemCount, batched.Critiqued);
        Assert.Equal(synchronous.Kept, batched.Kept);
        Assert.True(batched.Kept is > 0 and < ItemCount, $"the canned answers should keep some items and drop others, kept {batched.Kept}");
        Assert.Equal(synchronous.FilteredIncomplete, batched.FilteredIncomplete);
        Assert.Equal(synchronous.FilteredRefinementWorse, batched.FilteredRefinementWorse);
        Assert.Equal(synchronous.InputTokens, batched.InputTokens);
        Assert.Equal(synchronous.OutputTokens, batched.OutputTokens);
        Assert.Equal(Sequences(syncTrainer), Sequences(trainer));

        // Zero batches created twice, and no request answered twice in a batch (each one is paid).
        Assert.All(server.CreatesByDigest.Values, creates => Assert.Equal(1, creates));
        Assert.All(server.BatchAnswers.Values, answers => Assert.Equal(1, answers));

        // The request files follow the items' order, however the items' tasks interleave: the line error and the
        // batch fates below land on the same lines in every run (item 0's line error in the first file).
        Assert.Equal(items.Select(item => item.Id + ":critique"), server.UploadedLines.Take(ItemCount).Select(line => JsonNode.Parse(line)!["custom_id"]!.GetValue<string>()));

        // No critique and no score went synchronously (refinements of critiques without an improved response do).
        Assert.Equal((critiqueCalls, scoreCalls), (server.Count("critique"), server.Count("score")));
        Assert.Equal(2, batched.BatchReports.Count);
        BatchCritiqueReport critiques = batched.BatchReports[0];
        Assert.Equal(ItemCount, critiques.Requests);
        Assert.Equal(ItemCount, critiques.LinesCompleted);
        Assert.Equal(0, critiques.FinalFailures);
        Assert.Equal(1 + 4, critiques.LinesFailed); // the line error and the expired half of the second file (batch_expired lines)
        Assert.Equal(8, critiques.LinesUnfinished); // the failed batch's lines
        Assert.Equal(13, critiques.LinesRetriedInBatches);
        Assert.Equal(ItemCount + 13, critiques.LinesSubmitted);
        Assert.Equal(4 + 2, critiques.BatchesCreated); // four files of up to 8, then the 13 follow-ups in two
        Assert.True(critiques.CompletedInputTokens > 0);

        // A rerun finds every record on disk: no upload, no batch, no call.
        int uploads = server.Uploads, batches = server.BatchesCreated, chats = server.ChatBodies.Count;
        StageOneResult again = await new SelfRefinementLoop(new TestPolicyModel(), CreateBatchCritic(server, new OpenAIBatchOptions()), new TestTrainer(), new SelfRefinementOptions { RunDirectory = run, CritiqueInBatches = true })
            .RunStageOneAsync(items);
        Assert.Equal(batched.Kept, again.Kept);
        Assert.Equal((uploads, batches, chats), (server.Uploads, server.BatchesCreated, server.ChatBodies.Count));
    }

    [Fact]
    public async Task RunStageOne_BatchLines_AreTheSynchronousRequestBodies()
    {
        using var server = new LoopbackBatchServer();
        IReadOnlyList<InstructionItem> items = Items(3);
        await RunSynchronousAsync(server, items);
        await new SelfRefinementLoop(new TestPolicyModel(), CreateBatchCritic(server, new OpenAIBatchOptions()), new TestTrainer(), new SelfRefinementOptions { RunDirectory = Path.Combine(_root, "batch"), CritiqueInBatches = true })
            .RunStageOneAsync(items);

        Assert.NotEmpty(server.UploadedLines);
        foreach (string line in server.UploadedLines)
        {
            JsonNode request = JsonNode.Parse(line)!;
            Assert.Equal("POST", request["method"]!.GetValue<string>());
            Assert.Equal("/v1/chat/completions", request["url"]!.GetValue<string>());
            JsonNode body = request["body"]!;
            string prompt = body["messages"]![0]!["content"]!.GetValue<string>();
            JsonNode synchronous = server.ChatBodies.Select(b => JsonNode.Parse(b)!).Single(b => b["messages"]![0]!["content"]!.GetValue<string>() == prompt);
            Assert.True(JsonNode.DeepEquals(synchronous, body), $"batch body {body.ToJsonString()} differs from the synchronous {synchronous.ToJsonString()}");
        }
    }

    [Fact]
    public async Task RunStageOne_SynchronousRetryMode_AnswersExpiredLinesOverChatCompletions()
    {
        using var server = new LoopbackBatchServer();
        IReadOnlyList<InstructionItem> items = Items(10);
        (StageOneResult synchronous, _) = await RunSynchronousAsync(server, items);
        int before = server.Count("critique");
        server.NextBatches(BatchFate.ExpireHalf);

        StageOneResult batched = await new SelfRefinementLoop(
                new TestPolicyModel(), CreateBatchCritic(server, new OpenAIBatchOptions { RetryMode = BatchRetryMode.Synchronous }), new TestTrainer(),
                new SelfRefinementOptions { RunDirectory = Path.Combine(_root, "batch"), CritiqueInBatches = true })
            .RunStageOneAsync(items);

        Assert.Equal(synchronous.Kept, batched.Kept);
        Assert.Empty(batched.Failures);
        Assert.Equal(5, server.Count("critique") - before);
        Assert.Equal(5, batched.BatchReports[0].RetriedSynchronously);
        Assert.Equal(5, batched.BatchReports[0].LinesCompleted);
        Assert.Equal(2, server.CreatesByDigest.Count); // one batch of critiques, one of refinement scores
        Assert.All(server.CreatesByDigest.Values, creates => Assert.Equal(1, creates));
    }

    [Fact]
    public async Task RunStageOne_NoRetryMode_RecordsTheLineFailureWithItsReason()
    {
        using var server = new LoopbackBatchServer();
        server.FailLine("item-002:critique");
        StageOneResult batched = await new SelfRefinementLoop(
                new TestPolicyModel(), CreateBatchCritic(server, new OpenAIBatchOptions { RetryMode = BatchRetryMode.None }), new TestTrainer(),
                new SelfRefinementOptions { RunDirectory = Path.Combine(_root, "batch"), CritiqueInBatches = true })
            .RunStageOneAsync(Items(4));

        ItemFailure failure = Assert.Single(batched.Failures);
        Assert.Equal("item-002", failure.Id);
        Assert.Equal(StagePhase.Critiquing, failure.Phase);
        Assert.Contains("injected line error", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(1, batched.BatchReports[0].FinalFailures);
    }

    [Fact]
    public async Task RunStageOne_CreateRefusedAfterUpload_StopsAndTheRerunCreatesWithTheUploadedFile()
    {
        using var server = new LoopbackBatchServer();
        IReadOnlyList<InstructionItem> items = Items(6);
        string run = Path.Combine(_root, "batch");
        server.FailNextCreate(400);
        var options = new SelfRefinementOptions { RunDirectory = run, CritiqueInBatches = true };

        await Assert.ThrowsAsync<UnrecoverableCallException>(() => new SelfRefinementLoop(new TestPolicyModel(), CreateBatchCritic(server, new OpenAIBatchOptions()), new TestTrainer(), options)
            .RunStageOneAsync(items));
        Assert.Equal((1, 0), (server.Uploads, server.BatchesCreated));

        StageOneResult resumed = await new SelfRefinementLoop(new TestPolicyModel(), CreateBatchCritic(server, new OpenAIBatchOptions()), new TestTrainer(), options)
            .RunStageOneAsync(items);
        (StageOneResult synchronous, _) = await RunSynchronousAsync(server, items);

        Assert.Equal(2, server.Uploads); // the critiques' file once, then the scores' file
        Assert.All(server.CreatesByDigest.Values, creates => Assert.Equal(1, creates));
        Assert.Equal(synchronous.Kept, resumed.Kept);
        Assert.Empty(resumed.Failures);
    }

    [Fact]
    public void WithOpenAIBatchCritic_Resolved_OffersBatchCritiquesAndTheRefiner()
    {
        var services = new ServiceCollection();
        services.AddSrt(o => o.RunDirectory = _root)
            .WithOpenAIBatchCritic(o => { o.Model = "critic-test"; o.Endpoint = new Uri("http://127.0.0.1:9/v1"); }, b => b.EnqueuedTokenBudget = 90_000);
        using ServiceProvider provider = services.BuildServiceProvider();

        ICritic critic = provider.GetRequiredService<ICritic>();

        var batch = Assert.IsType<OpenAIBatchCritic>(critic.GetService(typeof(IBatchCritic)));
        Assert.Equal(90_000, batch.BatchOptions.EnqueuedTokenBudget);
        Assert.NotNull(critic.GetService(typeof(IRefiner)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ServiceCollection().AddSrt(o => o.RunDirectory = _root)
            .WithOpenAIBatchCritic(o => o.Endpoint = new Uri("http://127.0.0.1:9/v1"), b => b.MaxRequestsPerFile = 50_001));
    }

    [Fact]
    public async Task RunStageOne_CriticWithoutBatchMode_StopsBeforeAnyCall()
    {
        using var server = new LoopbackBatchServer();
        var critic = OpenAICritic.Create(new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new SelfRefinementLoop(new TestPolicyModel(), critic, new TestTrainer(), new SelfRefinementOptions { RunDirectory = _root, CritiqueInBatches = true })
            .RunStageOneAsync(Items(2)));

        Assert.Contains(nameof(IBatchCritic), error.Message, StringComparison.Ordinal);
        Assert.Empty(server.ChatBodies);
    }

    [Fact]
    public void Split_ByRequestsBytesAndTokenBudget_NoFileExceedsALimit()
    {
        var critic = new ChatClientCriticOptions();
        List<BatchLine> lines = Enumerable.Range(0, 25)
            .Select(index => BatchRequestFile.CreateLine($"item-{index}:critique", new CritiqueRequest($"Instruction number {index}", new string('x', 100 * (index % 4))), "m", critic, 16))
            .ToList();
        var options = new OpenAIBatchOptions { MaxRequestsPerFile = 7, MaxBytesPerFile = 20_000, EnqueuedTokenBudget = 6_000 };

        List<List<BatchLine>> files = BatchRequestFile.Split(lines, options);

        Assert.Equal(lines.Select(line => line.CustomId), files.SelectMany(file => file).Select(line => line.CustomId));
        Assert.All(files, file =>
        {
            Assert.InRange(file.Count, 1, 7);
            Assert.InRange(file.Sum(line => line.Bytes), 1, 20_000);
            Assert.InRange(file.Sum(line => line.EstimatedTokens), 1, 6_000);
        });
        Assert.True(lines[1].EstimatedTokens >= System.Text.Encoding.UTF8.GetByteCount(new CritiquePrompt().BuildCritiqueText(new CritiqueRequest("Instruction number 1", new string('x', 100)))));
        Assert.True(files.Count > 25 / 7);
    }

    // false: killed while the create is in flight (the batch exists, its id never reached the run directory);
    // true: killed after the batch id was recorded, before the first poll (the child polls every 2 s).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunStageOne_ChildKilledBetweenCreateAndFirstPoll_RerunResumesTheBatchAndLosesNothing(bool afterAnswer)
    {
        using var server = new LoopbackBatchServer();
        string run = Path.Combine(_root, "killed");
        IReadOnlyList<InstructionItem> items = Items(12);
        using Process child = StartKillTarget(run, items.Count, server.Endpoint);
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnCreate = () =>
        {
            if (afterAnswer)
            {
                _ = Task.Run(async () =>
                {
                    await Task.Delay(500);
                    killed.TrySetResult();
                    child.Kill(entireProcessTree: true);
                });
            }
            else
            {
                // Noted before the kill, so the child's exit can never be observed first.
                killed.TrySetResult();
                child.Kill(entireProcessTree: true);
            }
        };

        Task done = await Task.WhenAny(killed.Task, child.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(120)));
        Assert.True(done == killed.Task, $"The child ended or stalled before creating a batch: {await child.StandardError.ReadToEndAsync()}");
        await child.WaitForExitAsync();
        server.OnCreate = null;
        Assert.Equal(1, server.BatchesCreated);
        string ledger = await File.ReadAllTextAsync(Path.Combine(run, "stage1", "batches", "batches.jsonl"));
        Assert.Contains("\"event\":\"creating\"", ledger, StringComparison.Ordinal);
        Assert.Equal(afterAnswer, ledger.Contains("\"event\":\"created\"", StringComparison.Ordinal));

        StageOneResult resumed = await new SelfRefinementLoop(new TestPolicyModel(), CreateBatchCritic(server, new OpenAIBatchOptions()), new TestTrainer(), new SelfRefinementOptions { RunDirectory = run, CritiqueInBatches = true })
            .RunStageOneAsync(items);
        (StageOneResult synchronous, _) = await RunSynchronousAsync(server, items);

        Assert.Equal(1, resumed.BatchReports[0].BatchesResumed);
        Assert.Equal(0, resumed.BatchReports[0].BatchesCreated);
        Assert.All(server.CreatesByDigest.Values, creates => Assert.Equal(1, creates));
        Assert.Equal(2, server.Uploads); // one request file per round: critiques (by the child), scores (by the rerun)
        Assert.Empty(resumed.Failures);
        Assert.Equal(items.Count, resumed.Critiqued);
        Assert.Equal(synchronous.Kept, resumed.Kept);
    }

    private async Task<(StageOneResult Result, TestTrainer Trainer)> RunSynchronousAsync(LoopbackBatchServer server, IReadOnlyList<InstructionItem> items)
    {
        var trainer = new TestTrainer();
        var options = new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint, ApiKey = "test" };
        StageOneResult result = await new SelfRefinementLoop(new TestPolicyModel(), OpenAICritic.Create(options), trainer, new SelfRefinementOptions { RunDirectory = Path.Combine(_root, "sync-" + Guid.NewGuid().ToString("N")) })
            .RunStageOneAsync(items);
        return (result, trainer);
    }

    private static OpenAIBatchCritic CreateBatchCritic(LoopbackBatchServer server, OpenAIBatchOptions batchOptions)
    {
        batchOptions.PollInterval = TimeSpan.FromSeconds(30);
        batchOptions.MaxPollInterval = TimeSpan.FromMinutes(5);
        batchOptions.RetryDelay = TimeSpan.FromSeconds(1);
        var options = new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint, ApiKey = "test" };

        // Timers fire at once: the 30 s polls and retry waits of the real schedule take no time here.
        return new OpenAIBatchCritic(options, batchOptions, timeProvider: new RecordingTimeProvider());
    }

    private static List<string> Sequences(TestTrainer trainer) =>
        trainer.SupervisedRequests.SelectMany(request => request.Examples).OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Id + "|" + string.Concat(e.Completion.Select(s => s.Text))).ToList();

    private static Process StartKillTarget(string run, int count, Uri endpoint)
    {
        string target = Path.Combine(AppContext.BaseDirectory, "Srt.Tests.KillTarget.dll");
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var start = new ProcessStartInfo(!string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "exec", target, run, count.ToString(CultureInfo.InvariantCulture), "0", "8", endpoint.ToString(), "batch" })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the kill target.");
    }
}
