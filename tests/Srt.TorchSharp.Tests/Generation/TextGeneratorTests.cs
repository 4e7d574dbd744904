using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Generation;

[Collection(TorchSharpCollection.Name)]
public sealed class TextGeneratorTests : IDisposable
{
    private static readonly IReadOnlyList<int> Hello = TinyChatModel.Bytes("Hello");
    private static readonly IReadOnlyList<int> LongerPrompt = TinyChatModel.Bytes("The quick brown fox");
    private static readonly IReadOnlyList<int> Single = TinyChatModel.Bytes("?");

    private readonly LlamaForCausalLM _model = TinyChatModel.CreateModel();
    private readonly TextGenerator _generator;

    public TextGeneratorTests() =>
        _generator = new TextGenerator(_model, TinyChatModel.LoadTokenizer(), stopTokenIds: []); // no EOS: runs to the limit

    public void Dispose() => _model.Dispose();

    private static GenerationOptions Greedy(int maxNewTokens = 12) => new() { Temperature = 0, MaxNewTokens = maxNewTokens };

    private static GenerationOptions Sampled(long seed, int maxNewTokens = 16) => new() { Temperature = 1.5f, MaxNewTokens = maxNewTokens, Seed = seed };

    private IReadOnlyList<int> Tokens(IReadOnlyList<int> prompt, GenerationOptions options) =>
        _generator.Generate([prompt], options).Sequences[0].TokenIds;

    /// <summary>Greedy decoding by hand: the whole sequence through the model each step, no cache, argmax of the last logits.</summary>
    private List<int> ArgmaxWithoutCache(IReadOnlyList<int> prompt, int steps)
    {
        var ids = prompt.Select(i => (long)i).ToList();
        var generated = new List<int>();
        using var noGrad = no_grad();
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var logits = _model.Forward(tensor(ids.ToArray(), [1, ids.Count], ScalarType.Int64));
            var next = (int)logits[0, -1].argmax().item<long>();
            generated.Add(next);
            ids.Add(next);
        }
        return generated;
    }

    [Fact]
    public void Greedy_WithKvCache_EqualsArgmaxLoopWithoutCache()
    {
        var cached = Tokens(LongerPrompt, Greedy(12));
        Assert.Equal(ArgmaxWithoutCache(LongerPrompt, 12), cached);
        Assert.Equal(cached, Tokens(LongerPrompt, Greedy(12))); // and deterministic
    }

    [Fact]
    public void Greedy_BatchWithLeftPadding_EqualsOneByOne()
    {
        IReadOnlyList<int>[] prompts = [Hello, LongerPrompt, Single];
        var batched = _generator.Generate(prompts, Greedy(10)).Sequences;
        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = _generator.Generate([prompts[i]], Greedy(10)).Sequences[0];
            Assert.Equal(alone.TokenIds, batched[i].TokenIds);
            Assert.Equal(alone.Text, batched[i].Text);
            Assert.Equal(prompts[i].Count, batched[i].PromptTokens);
        }
    }

    [Fact]
    public void Sampling_SameSeed_Reproducible_DifferentSeedsDiffer()
    {
        var first = Tokens(Hello, Sampled(seed: 5));
        Assert.Equal(first, Tokens(Hello, Sampled(seed: 5)));
        Assert.NotEqual(first, Tokens(Hello, Sampled(seed: 6)));
        Assert.NotEqual(Tokens(Hello, Greedy(16)), first); // temperature 1.5 really samples
    }

    [Fact]
    public void Sampling_RowOfBatch_EqualsSamePromptAloneWithItsSeed()
    {
        var batched = _generator.Generate([Hello, LongerPrompt], Sampled(seed: 40)).Sequences;
        Assert.Equal(batched[1].TokenIds, Tokens(LongerPrompt, Sampled(seed: 41))); // row i draws with seed + i
    }

    [Fact]
    public void TopKOne_EqualsGreedy()
    {
        var options = Sampled(seed: 3, maxNewTokens: 12);
        options.TopK = 1;
        Assert.Equal(Tokens(Hello, Greedy(12)), Tokens(Hello, options));
    }

    [Fact]
    public void TinyTopP_EqualsGreedy()
    {
        var options = Sampled(seed: 3, maxNewTokens: 12);
        options.TopP = 1e-6f;
        Assert.Equal(Tokens(Hello, Greedy(12)), Tokens(Hello, options));
    }

    [Fact]
    public void TopK_SampledTokensAreAmongTheKBest()
    {
        // With k = 3 every sampled token must be one of the three best of its step, judged by the cache-free model.
        var options = Sampled(seed: 9, maxNewTokens: 10);
        options.TopK = 3;
        var sampled = Tokens(Hello, options);
        var ids = Hello.Select(i => (long)i).ToList();
        using var noGrad = no_grad();
        foreach (var token in sampled)
        {
            using var scope = NewDisposeScope();
            var logits = _model.Forward(tensor(ids.ToArray(), [1, ids.Count], ScalarType.Int64));
            var best = logits[0, -1].topk(3).indexes.data<long>().ToArray();
            Assert.Contains((long)token, best);
            ids.Add(token);
        }
    }

    [Fact]
    public void MaxNewTokens_Reached_FinishesWithLength()
    {
        var result = _generator.Generate([Hello], Greedy(7)).Sequences[0];
        Assert.Equal(CompletionFinishReason.Length, result.FinishReason);
        Assert.Equal(7, result.CompletionTokens);
        Assert.Equal(TinyChatModel.LoadTokenizer().Decode(result.TokenIds), result.Text);
    }

    [Fact]
    public void StopTokenId_Generated_StopsAndLeavesItOutOfText()
    {
        var free = Tokens(LongerPrompt, Greedy(12));
        var stopId = free[4];
        var firstAt = free.ToList().IndexOf(stopId);
        var generator = new TextGenerator(_model, TinyChatModel.LoadTokenizer(), stopTokenIds: [stopId]);
        var result = generator.Generate([LongerPrompt], Greedy(12)).Sequences[0];
        Assert.Equal(CompletionFinishReason.Stop, result.FinishReason);
        Assert.Equal(free.Take(firstAt + 1), result.TokenIds);
        Assert.Equal(TinyChatModel.LoadTokenizer().Decode(free.Take(firstAt)), result.Text);
    }

    [Fact]
    public void StopSequence_InOutput_CutsTextBeforeItAndFinishesWithStop()
    {
        // Random bytes decode to some replacement characters; pick two whole characters from the free output.
        var free = _generator.Generate([LongerPrompt], Greedy(40)).Sequences[0].Text;
        static bool Whole(char c) => c != '\uFFFD' && !char.IsSurrogate(c);
        var at = Enumerable.Range(3, free.Length - 4).First(i => Whole(free[i]) && Whole(free[i + 1]));
        var stop = free.Substring(at, 2);
        var options = Greedy(40);
        options.StopSequences.Add(stop);
        var result = _generator.Generate([LongerPrompt], options).Sequences[0];
        Assert.Equal(CompletionFinishReason.Stop, result.FinishReason);
        Assert.Equal(free[..free.IndexOf(stop, StringComparison.Ordinal)], result.Text);
        Assert.True(result.CompletionTokens < 40);
    }

    [Fact]
    public void Streaming_PiecesJoined_EqualFinalTextForEverySequence()
    {
        var options = Sampled(seed: 21, maxNewTokens: 20);
        options.StopSequences.Add("e");
        var pieces = new Dictionary<int, List<string>>();
        var finished = new List<int>();
        var output = _generator.Generate([Hello, LongerPrompt, Single], options, update =>
        {
            Assert.DoesNotContain(update.SequenceIndex, finished);
            (pieces.TryGetValue(update.SequenceIndex, out var list) ? list : pieces[update.SequenceIndex] = []).Add(update.Text);
            if (update.FinishReason is not null)
            {
                finished.Add(update.SequenceIndex);
            }
        });
        Assert.Equal([0, 1, 2], finished.Order());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(output.Sequences[i].Text, string.Concat(pieces[i]));
            Assert.DoesNotContain("e", output.Sequences[i].Text);
        }
    }

    [Fact]
    public void Cancellation_DuringGeneration_ThrowsAndStops()
    {
        using var cancellation = new CancellationTokenSource();
        var updates = 0;
        var generator = new TextGenerator(_model, TinyChatModel.LoadTokenizer(), stopTokenIds: []);
        Assert.ThrowsAny<OperationCanceledException>(() => generator.Generate([Hello], Greedy(500), _ =>
        {
            if (++updates == 3)
            {
                cancellation.Cancel();
            }
        }, cancellation.Token));
        Assert.InRange(updates, 3, 4);
    }

    [Fact]
    public void Generate_ManyTokens_KeepsLiveTensorCountFlat()
    {
        _generator.Generate([Hello, LongerPrompt], Sampled(seed: 1, maxNewTokens: 5)); // warm up rotary tables
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var output = _generator.Generate([Hello, LongerPrompt], Sampled(seed: 2, maxNewTokens: 200));
        var afterFirst = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        _generator.Generate([Hello], Greedy(50));
        var afterSecond = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(199, output.DecodeSteps);
        Assert.Equal(before, afterFirst);
        Assert.Equal(before, afterSecond);
    }

    [Fact]
    public void Generate_TrainingModel_RunsInEvalModeAndRestoresTraining()
    {
        _model.Train();
        _generator.Generate([Hello], Greedy(2));
        Assert.True(_model.IsTraining);
    }

    [Theory]
    [InlineData(-1f, 1f, 0, 5, "Temperature")]
    [InlineData(1f, 0f, 0, 5, "TopP")]
    [InlineData(1f, 1.5f, 0, 5, "TopP")]
    [InlineData(1f, 1f, -2, 5, "TopK")]
    [InlineData(1f, 1f, 0, 0, "MaxNewTokens")]
    public void Generate_InvalidOptions_ThrowsNamingTheField(float temperature, float topP, int topK, int maxNewTokens, string field)
    {
        var options = new GenerationOptions { Temperature = temperature, TopP = topP, TopK = topK, MaxNewTokens = maxNewTokens };
        var error = Assert.Throws<ArgumentException>(() => _generator.Generate([Hello], options));
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void Generate_PromptOutsideVocabulary_ThrowsNamingPromptAndId()
    {
        var error = Assert.Throws<ArgumentException>(() => _generator.Generate([Hello, [1, 999]], Greedy()));
        Assert.Contains("Prompt 1", error.Message);
        Assert.Contains("999", error.Message);
        Assert.Throws<ArgumentException>(() => _generator.Generate([Array.Empty<int>()], Greedy()));
    }
}
