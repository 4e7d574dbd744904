using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;

namespace Srt.TorchSharp.Tests.Generation;

/// <summary>
/// Generation with sliding-window and global layers: batched (left-padded) KV-cache generation and continuous
/// batching (one slot cache, each slot at its own position) give the same greedy tokens as each prompt alone, with
/// prompts and outputs well past the window.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SlidingWindowGenerationTests
{
    public static TheoryData<string> Variants => ["gemma2", "gemma3", "mistral-window"];

    private static (IReadOnlyList<int>[] Prompts, int[] Limits) Workload(int count, int seed)
    {
        var random = new Random(seed);
        var prompts = new IReadOnlyList<int>[count];
        var limits = new int[count];
        for (var i = 0; i < count; i++)
        {
            prompts[i] = Enumerable.Range(0, random.Next(1, 20)).Select(_ => random.Next(32, 127)).ToArray();
            limits[i] = random.Next(4, 20);
        }
        return (prompts, limits);
    }

    private static TextGenerator Generator(string variant, out LlamaForCausalLM model)
    {
        model = TinyGemma.Create(TinyGemma.Config(variant, TinyChatModel.VocabularySize) with { EosTokenIds = [TinyChatModel.ImEnd] }, seed: 11);
        return new TextGenerator(model, TinyChatModel.LoadTokenizer(), stopTokenIds: []);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void GenerateContinuous_GreedyPastTheWindow_EqualsEachPromptAlone(string variant)
    {
        var generator = Generator(variant, out var model);
        using var owned = model;
        var (prompts, limits) = Workload(10, seed: 21);
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 20 };
        var plan = new GenerationPlan(prompts, options, Enumerable.Range(0, prompts.Length).Select(i => (long)i).ToArray()) { RowMaxNewTokens = limits };
        var continuous = generator.GenerateContinuous(plan, slots: 3, null, default).Sequences;
        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = generator.Generate([prompts[i]], new GenerationOptions { Temperature = 0, MaxNewTokens = limits[i] }).Sequences[0];
            Assert.Equal(alone.TokenIds, continuous[i].TokenIds);
            Assert.Equal(limits[i], continuous[i].CompletionTokens);
        }
        Assert.Contains(prompts.Select((p, i) => p.Count + limits[i]), total => total > 3 * model.Config.SlidingWindow!.Value);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Generate_LeftPaddedBatchPastTheWindow_EqualsEachPromptAlone(string variant)
    {
        var generator = Generator(variant, out var model);
        using var owned = model;
        var (prompts, _) = Workload(5, seed: 8);
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 12 };
        var batched = generator.Generate(prompts, options).Sequences;
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(generator.Generate([prompts[i]], options).Sequences[0].TokenIds, batched[i].TokenIds);
        }
    }
}
