using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Modeling;
using TorchSharp;

namespace Srt.TorchSharp.Tests.Generation;

[Collection(TorchSharpCollection.Name)]
public sealed class ContinuousBatchingTests : IDisposable
{
    private readonly LlamaForCausalLM _model = TinyChatModel.CreateModel();
    private readonly TextGenerator _generator;

    public ContinuousBatchingTests() =>
        _generator = new TextGenerator(_model, TinyChatModel.LoadTokenizer(), stopTokenIds: []); // no EOS: runs to each row's limit

    public void Dispose() => _model.Dispose();

    /// <summary>Prompts of 1 to ~150 bytes and output limits of 1 to ~90 tokens, both spread wide and uncorrelated.</summary>
    private static (IReadOnlyList<int>[] Prompts, int[] Limits) Workload(int count, int seed)
    {
        var random = new Random(seed);
        var prompts = new IReadOnlyList<int>[count];
        var limits = new int[count];
        for (var i = 0; i < count; i++)
        {
            var length = i % 5 == 0 ? random.Next(80, 150) : random.Next(1, 40);
            prompts[i] = Enumerable.Range(0, length).Select(_ => random.Next(32, 127)).ToArray();
            limits[i] = i % 7 == 0 ? random.Next(60, 90) : random.Next(1, 25);
        }
        return (prompts, limits);
    }

    private static GenerationPlan Plan(IReadOnlyList<int>[] prompts, GenerationOptions options, int[]? limits = null) =>
        new(prompts, options, Enumerable.Range(0, prompts.Length).Select(i => (options.Seed ?? 0) + i).ToArray()) { RowMaxNewTokens = limits };

    [Fact]
    public void GenerateContinuous_GreedyOn56VariedPrompts_EqualsEachPromptAlone()
    {
        var (prompts, limits) = Workload(56, seed: 5);
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 100 };
        var batched = _generator.GenerateContinuous(Plan(prompts, options, limits), slots: 6, null, default);

        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = _generator.Generate([prompts[i]], new GenerationOptions { Temperature = 0, MaxNewTokens = limits[i] }).Sequences[0];
            Assert.Equal(alone.TokenIds, batched.Sequences[i].TokenIds);
            Assert.Equal(limits[i], batched.Sequences[i].CompletionTokens);
            Assert.Equal(CompletionFinishReason.Length, batched.Sequences[i].FinishReason);
            Assert.Equal(alone.Text, batched.Sequences[i].Text);
            Assert.Equal(prompts[i].Count, batched.Sequences[i].PromptTokens);
        }
        // Every decode step after the first prefill runs at least one slot; with 6 slots far fewer steps than tokens.
        Assert.InRange(batched.DecodeSteps, limits.Max() - 1, limits.Sum() / 3);
    }

    [Fact]
    public void GenerateContinuous_GreedyWithStopId_EqualsStaticBatch()
    {
        var generator = new TextGenerator(_model, TinyChatModel.LoadTokenizer(), stopTokenIds: [(int)'e', (int)'a']);
        var (prompts, _) = Workload(12, seed: 9);
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 40 };
        var continuous = generator.GenerateContinuous(prompts, options, slots: 3).Sequences;
        var statics = generator.Generate(prompts, options).Sequences;
        Assert.Equal(statics.Select(s => s.TokenIds), continuous.Select(s => s.TokenIds));
        Assert.Equal(statics.Select(s => s.FinishReason), continuous.Select(s => s.FinishReason));
    }

    [Fact]
    public void GenerateContinuous_SeededSampling_SameForEverySlotCountAndAsAlone()
    {
        var (prompts, limits) = Workload(14, seed: 3);
        var options = new GenerationOptions { Temperature = 1.3f, TopK = 40, TopP = 0.95f, MaxNewTokens = 100, Seed = 1234 };
        var one = _generator.GenerateContinuous(Plan(prompts, options, limits), slots: 1, null, default).Sequences;
        var four = _generator.GenerateContinuous(Plan(prompts, options, limits), slots: 4, null, default).Sequences;
        var all = _generator.GenerateContinuous(Plan(prompts, options, limits), slots: 14, null, default).Sequences;
        Assert.Equal(one.Select(s => s.TokenIds), four.Select(s => s.TokenIds));
        Assert.Equal(one.Select(s => s.TokenIds), all.Select(s => s.TokenIds));
        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = _generator.Generate([prompts[i]], new GenerationOptions
            {
                Temperature = 1.3f, TopK = 40, TopP = 0.95f, MaxNewTokens = limits[i], Seed = 1234 + i,
            }).Sequences[0];
            Assert.Equal(alone.TokenIds, four[i].TokenIds);
        }
        var otherSeed = _generator.GenerateContinuous(Plan(prompts, new GenerationOptions { Temperature = 1.3f, Seed = 99 }, limits), 4, null, default);
        Assert.NotEqual(one.Select(s => s.Text), otherSeed.Sequences.Select(s => s.Text));
    }

    [Fact]
    public void GenerateContinuous_Streaming_PiecesJoinedEqualTextAndStopSequencesCut()
    {
        var (prompts, _) = Workload(9, seed: 4);
        var free = _generator.GenerateContinuous(prompts, new GenerationOptions { Temperature = 1.5f, MaxNewTokens = 30, Seed = 8 }, slots: 2);
        // A stop text taken from the middle of sequence 0's free-running output must cut it there.
        var stop = free.Sequences[0].Text.Substring(6, 2);
        var options = new GenerationOptions { Temperature = 1.5f, MaxNewTokens = 30, Seed = 8 };
        options.StopSequences.Add(stop);
        var pieces = prompts.Select(_ => new List<string>()).ToArray();
        var finished = new List<int>();
        var output = _generator.GenerateContinuous(prompts, options, slots: 2, update =>
        {
            Assert.DoesNotContain(update.SequenceIndex, finished);
            pieces[update.SequenceIndex].Add(update.Text);
            if (update.FinishReason is not null)
            {
                finished.Add(update.SequenceIndex);
            }
        });
        Assert.Equal(Enumerable.Range(0, prompts.Length), finished.Order());
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(output.Sequences[i].Text, string.Concat(pieces[i]));
            Assert.DoesNotContain(stop, output.Sequences[i].Text, StringComparison.Ordinal);
        }
        var cut = free.Sequences[0].Text.IndexOf(stop, StringComparison.Ordinal);
        Assert.Equal(CompletionFinishReason.Stop, output.Sequences[0].FinishReason);
        Assert.Equal(free.Sequences[0].Text[..cut], output.Sequences[0].Text);
    }

    [Fact]
    public void GenerateContinuous_Cancelled_ThrowsAndStops()
    {
        using var cancellation = new CancellationTokenSource();
        var updates = 0;
        var (prompts, _) = Workload(6, seed: 2);
        Assert.ThrowsAny<OperationCanceledException>(() => _generator.GenerateContinuous(prompts, new GenerationOptions { Temperature = 0, MaxNewTokens = 400 }, 2, _ =>
        {
            if (++updates == 5)
            {
                cancellation.Cancel();
            }
        }, cancellation.Token));
        Assert.InRange(updates, 5, 7);
    }

    [Fact]
    public void GenerateContinuous_ManyTokens_KeepsLiveTensorCountFlat()
    {
        var (prompts, _) = Workload(10, seed: 6);
        _generator.GenerateContinuous(prompts, new GenerationOptions { Temperature = 1f, MaxNewTokens = 5, Seed = 1 }, 3); // warm up rotary tables
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        _generator.GenerateContinuous(prompts, new GenerationOptions { Temperature = 1f, MaxNewTokens = 120, Seed = 2 }, 3);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Generate_PromptThatFillsTheContext_ThrowsNamingPromptAndLimit()
    {
        var tooLong = Enumerable.Repeat((int)'a', 512).ToArray(); // the tiny model's max_position_embeddings
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 4 };
        var error = Assert.Throws<ArgumentException>(() => _generator.GenerateContinuous([TinyChatModel.Bytes("Hi"), tooLong], options, 2));
        Assert.Contains("Prompt 1", error.Message);
        Assert.Contains("512", error.Message);
        Assert.Contains("max_position_embeddings", error.Message);
        Assert.Throws<ArgumentException>(() => _generator.Generate([tooLong], options));
    }

    [Fact]
    public void Generate_PromptLeavingLessRoomThanMaxNewTokens_StopsAtTheContextWithLength()
    {
        var nearlyFull = Enumerable.Repeat((int)'a', 500).ToArray();
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 100 };
        var continuous = _generator.GenerateContinuous([nearlyFull, TinyChatModel.Bytes("Hi")], options, 2).Sequences;
        var statics = _generator.Generate([nearlyFull], options).Sequences;
        Assert.Equal(12, continuous[0].CompletionTokens);
        Assert.Equal(CompletionFinishReason.Length, continuous[0].FinishReason);
        Assert.Equal(statics[0].TokenIds, continuous[0].TokenIds);
        Assert.Equal(100, continuous[1].CompletionTokens);
    }
}
