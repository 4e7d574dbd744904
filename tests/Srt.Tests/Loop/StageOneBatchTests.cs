using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

public sealed class StageOneBatchTests
{
    private static Task<Critique> Script(CritiqueRequest request) => Task.FromResult(
        !request.IncludeImprovedResponse ? ScriptedCritiques.ScoreOnly(request.Instruction.EndsWith('2') ? 2 : 7)
        : request.Instruction.EndsWith('1') ? new Critique(ScriptedCritiques.Feedback(4, suggestions: []), "better", "raw")
        : ScriptedCritiques.Complete(4, "better " + request.Instruction));

    [Fact]
    public async Task RunStageOne_CritiqueInBatches_TwoRoundsWritingTheRecordsSynchronousCallsWrite()
    {
        using var synchronous = new LoopHarness();
        synchronous.Critic.CritiqueAsyncCallback = (request, _) => Script(request);
        StageOneResult expected = await synchronous.CreateLoop().RunStageOneAsync(LoopHarness.Items(10));

        using var batched = new LoopHarness();
        batched.Critic.CritiqueAsyncCallback = (request, _) => Script(request);
        var batchCritic = new RoundBatchCritic(batched.Critic);
        batched.Options.CritiqueInBatches = true;
        StageOneResult result = await new SelfRefinementLoop(batched.Policy, batchCritic, batched.Trainer, batched.Options).RunStageOneAsync(LoopHarness.Items(10));

        // Round 1: every critique; round 2: the scores of the complete ones (not items ending in 1).
        Assert.Equal(2, batchCritic.Rounds.Count);
        Assert.Equal(10, batchCritic.Rounds[0].Count);
        Assert.All(batchCritic.Rounds[0], id => Assert.EndsWith(":critique", id, StringComparison.Ordinal));
        Assert.Equal(9, batchCritic.Rounds[1].Count);
        Assert.All(batchCritic.Rounds[1], id => Assert.EndsWith(":score", id, StringComparison.Ordinal));
        Assert.Equal((expected.Kept, expected.FilteredIncomplete, expected.FilteredRefinementWorse), (result.Kept, result.FilteredIncomplete, result.FilteredRefinementWorse));
        Assert.Equal((8, 1, 1), (result.Kept, result.FilteredIncomplete, result.FilteredRefinementWorse));
        foreach (string file in new[] { "critiques.jsonl", "refinement-scores.jsonl", "outcomes.jsonl", "examples.jsonl" })
        {
            Assert.Equal(Sorted(synchronous.Folder.File("stage1", file)), Sorted(batched.Folder.File("stage1", file)));
        }

        Assert.Equal([10, 9], result.BatchReports.Select(report => report.Requests));
    }

    [Fact]
    public async Task RunStageOne_BatchLineFails_ItemRecordedAsFailedWithTheReasonAndTheRunGoesOn()
    {
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Script(request);
        var batchCritic = new RoundBatchCritic(harness.Critic) { Failing = { "item-003:critique" } };
        harness.Options.CritiqueInBatches = true;

        StageOneResult result = await new SelfRefinementLoop(harness.Policy, batchCritic, harness.Trainer, harness.Options).RunStageOneAsync(LoopHarness.Items(5));

        ItemFailure failure = Assert.Single(result.Failures);
        Assert.Equal(("item-003", StagePhase.Critiquing), (failure.Id, failure.Phase));
        Assert.Contains("line error for item-003:critique", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("line error for item-003:critique", File.ReadAllText(harness.Folder.File("stage1", "failures.jsonl")), StringComparison.Ordinal);
        Assert.Equal(5, result.Total);
    }

    [Fact]
    public async Task RunStageOne_FirstItemAsksLast_EachRoundListsTheRequestsInTheItemsOrder()
    {
        // Item 0's critique holds no improved response, so it takes a synchronous refinement before it asks for its
        // score: it joins the score round last. The round must still list it first, so the request files (and which
        // lines share a batch) are the same however the items' tasks interleave.
        using var harness = new LoopHarness();
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            !request.IncludeImprovedResponse ? ScriptedCritiques.ScoreOnly(7)
            : request.Instruction.EndsWith(" 0", StringComparison.Ordinal) ? ScriptedCritiques.Complete(4, improvedResponse: null)
            : ScriptedCritiques.Complete(4, "better " + request.Instruction));
        harness.Refiner = new TestRefiner
        {
            RefineAsyncCallback = async (request, token) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300), token);
                return new Refinement("refined " + request.Response);
            },
        };
        var batchCritic = new RoundBatchCritic(harness.Critic);
        harness.Options.CritiqueInBatches = true;
        IReadOnlyList<InstructionItem> items = LoopHarness.Items(6);

        StageOneResult result = await new SelfRefinementLoop(harness.Policy, batchCritic, harness.Trainer, harness.Options, refiner: harness.Refiner).RunStageOneAsync(items);

        Assert.Equal(6, result.Critiqued);
        Assert.Single(harness.Refiner.Requests);
        Assert.Equal(2, batchCritic.Rounds.Count);
        Assert.Equal(items.Select(item => item.Id + ":critique"), batchCritic.Rounds[0]);
        Assert.Equal(items.Select(item => item.Id + ":score"), batchCritic.Rounds[1]);
    }

    private static List<string> Sorted(string path) => [.. File.ReadAllLines(path).Order(StringComparer.Ordinal)];

    /// <summary>A batch critic that answers each round through a scripted critic and records the rounds' request ids.</summary>
    private sealed class RoundBatchCritic(ICritic inner) : ICritic, IBatchCritic
    {
        public List<List<string>> Rounds { get; } = [];

        public HashSet<string> Failing { get; } = [];

        public Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("Batch mode must not make synchronous critique calls.");

        public async Task<BatchCritiqueResult> CritiqueBatchAsync(IReadOnlyList<BatchCritiqueRequest> requests, string stateDirectory, CancellationToken cancellationToken = default)
        {
            lock (Rounds)
            {
                Rounds.Add(requests.Select(request => request.Id).ToList());
            }

            var critiques = new Dictionary<string, Critique>();
            var failures = new Dictionary<string, string>();
            foreach (BatchCritiqueRequest request in requests)
            {
                if (Failing.Contains(request.Id))
                {
                    failures[request.Id] = $"line error for {request.Id}";
                }
                else
                {
                    critiques[request.Id] = await inner.CritiqueAsync(request.Request, cancellationToken);
                }
            }

            return new BatchCritiqueResult(critiques, failures, new BatchCritiqueReport { Requests = requests.Count, FinalFailures = failures.Count });
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
    }
}
