using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>
/// Gemma 2, Gemma 3 text and sliding-window Mistral/Qwen2 against the float64 reference written from the Hugging
/// Face sources (<see cref="ReferenceGemma"/>): every position of prompts longer than the window, through the full
/// forward and through the KV cache, within 1e-4 × max|logit|; and each planted reference bug exceeds that tolerance.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SlidingWindowParityTests
{
    private static readonly long[] Prompt = [5, 17, 3, 96, 40, 8, 22, 61, 0, 13, 77, 30, 44, 9];

    public static TheoryData<string> Variants => TinyGemma.Variants;

    private static double Tolerance(double[,] expected) => 1e-4 * TinyGemma.MaxAbs(expected);

    [Theory]
    [MemberData(nameof(Variants))]
    public void Forward_PromptLongerThanWindow_MatchesFloat64Reference(string variant)
    {
        using var model = TinyGemma.Create(TinyGemma.Config(variant));
        Assert.True(Prompt.Length > 2 * model.Config.SlidingWindow!.Value, "the prompt must pass the window");
        using var noGrad = no_grad();
        using var logits = model.Forward(TinyLlama.Ids(Prompt));
        var expected = ReferenceGemma.Logits(model, Prompt);
        var worst = TinyGemma.MaxDifference(TinyGemma.Values(logits), expected);
        Assert.True(worst < Tolerance(expected), $"max |logit - reference| = {worst}, tolerance {Tolerance(expected)}");
        Assert.True(TinyGemma.MaxAbs(expected) > 0.5, "logits too small for the comparison to mean anything");
    }

    public static TheoryData<string, ReferenceGemmaBug> PlantedBugs => new()
    {
        { "gemma2", ReferenceGemmaBug.NormWithoutOne },
        { "gemma2", ReferenceGemmaBug.NoEmbeddingScale },
        { "gemma2", ReferenceGemmaBug.NoAttentionSoftcap },
        { "gemma2", ReferenceGemmaBug.NoFinalSoftcap },
        { "gemma2", ReferenceGemmaBug.NoSlidingWindow },
        { "gemma2", ReferenceGemmaBug.WindowOneTooWide },
        { "gemma2", ReferenceGemmaBug.HeadDimScale },
        { "gemma3", ReferenceGemmaBug.NormWithoutOne },
        { "gemma3", ReferenceGemmaBug.NoEmbeddingScale },
        { "gemma3", ReferenceGemmaBug.NoQkNorm },
        { "gemma3", ReferenceGemmaBug.GlobalRopeOnLocalLayers },
        { "gemma3", ReferenceGemmaBug.NoSlidingWindow },
        { "gemma3", ReferenceGemmaBug.WindowOneTooWide },
        { "gemma3-rope-parameters", ReferenceGemmaBug.GlobalRopeOnLocalLayers },
        { "mistral-window", ReferenceGemmaBug.NoSlidingWindow },
        { "mistral-window", ReferenceGemmaBug.WindowOneTooWide },
        { "qwen2-window", ReferenceGemmaBug.NoSlidingWindow },
    };

    [Theory]
    [MemberData(nameof(PlantedBugs))]
    public void Reference_WithPlantedBug_DiffersFromModelBeyondTolerance(string variant, ReferenceGemmaBug bug)
    {
        using var model = TinyGemma.Create(TinyGemma.Config(variant));
        using var noGrad = no_grad();
        using var logits = model.Forward(TinyLlama.Ids(Prompt));
        var correct = ReferenceGemma.Logits(model, Prompt);
        var wrong = ReferenceGemma.Logits(model, Prompt, bug);
        var difference = TinyGemma.MaxDifference(TinyGemma.Values(logits), wrong);
        Assert.True(difference > 10 * Tolerance(correct), $"{bug}: max difference {difference} vs tolerance {Tolerance(correct)}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void GreedyDecode_ThroughKvCachePastTheWindow_MatchesReferenceAtEveryPosition(string variant)
    {
        using var model = TinyGemma.Create(TinyGemma.Config(variant));
        using var noGrad = no_grad();
        using var cache = model.CreateKvCache(initialCapacity: 4); // small, so the buffers grow
        var sequence = Prompt[..7].ToList();
        var steps = new List<double[]> { TinyGemma.Values(model.Forward(TinyLlama.Ids([.. sequence]), cache: cache)) };
        // A chunk of two tokens after the cache: a multi-token query block whose window starts inside the cache.
        sequence.AddRange(Prompt[7..9]);
        steps.Add(TinyGemma.Values(model.Forward(TinyLlama.Ids(Prompt[7..9]), cache: cache)));
        var vocab = model.Config.VocabSize;
        for (var step = 0; step < 9; step++)
        {
            var last = steps[^1].AsSpan(steps[^1].Length - vocab, vocab).ToArray();
            long next = Array.IndexOf(last, last.Max());
            sequence.Add(next);
            steps.Add(TinyGemma.Values(model.Forward(TinyLlama.Ids([next]), cache: cache)));
        }
        var incremental = steps.SelectMany(s => s).ToArray(); // one row per token of the sequence

        var expected = ReferenceGemma.Logits(model, [.. sequence]);
        var worst = TinyGemma.MaxDifference(incremental, expected);
        Assert.True(worst < Tolerance(expected), $"max |cached logit - reference| = {worst}, tolerance {Tolerance(expected)}");
        for (var position = 8; position < sequence.Count - 1; position++)
        {
            var row = Enumerable.Range(0, vocab).Select(v => expected[position, v]).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), (int)sequence[position + 1]); // greedy choice = reference argmax
        }
        Assert.True(sequence.Count > 3 * model.Config.SlidingWindow!.Value);
    }

    [Theory]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    [InlineData("mistral-window")]
    public void Forward_LeftPaddedBatchWithCachePastTheWindow_EqualsEachRowAlone(string variant)
    {
        using var model = TinyGemma.Create(TinyGemma.Config(variant));
        long[][] prompts = [[11, 12, 13, 14, 15, 16, 17, 18, 19], [21, 22], [31, 32, 33, 34, 35, 36]];
        long[][] continuations = [[41, 42, 43, 44], [51, 52, 53, 54], [61, 62, 63, 64]];
        var width = prompts.Max(p => p.Length);
        using var noGrad = no_grad();
        var padded = prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(p).ToArray()).ToArray();
        var maskRows = prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(Enumerable.Repeat(1L, p.Length)).ToList()).ToArray();
        using var cache = model.CreateKvCache();
        using var prefill = model.Forward(TinyLlama.Ids(padded), TinyLlama.Ids(maskRows.Select(r => r.ToArray()).ToArray()), cache);
        var steps = new List<Tensor>();
        for (var step = 0; step < continuations[0].Length; step++)
        {
            foreach (var row in maskRows) row.Add(1);
            steps.Add(model.Forward(
                TinyLlama.Ids(continuations.Select(c => new[] { c[step] }).ToArray()),
                TinyLlama.Ids(maskRows.Select(r => r.ToArray()).ToArray()), cache));
        }
        for (var row = 0; row < prompts.Length; row++)
        {
            using var alone = model.Forward(TinyLlama.Ids(prompts[row].Concat(continuations[row]).ToArray()));
            var length = prompts[row].Length;
            using var expectedPrompt = alone[0].narrow(0, 0, length);
            using var actualPrompt = prefill[row].narrow(0, width - length, length);
            Assert.True(TinyLlama.MaxAbsDifference(expectedPrompt, actualPrompt) < 1e-5, $"row {row} prompt");
            for (var step = 0; step < steps.Count; step++)
            {
                using var expected = alone[0][length + step];
                using var actual = steps[step][row][0];
                Assert.True(TinyLlama.MaxAbsDifference(expected, actual) < 1e-5, $"row {row} step {step}: {TinyLlama.MaxAbsDifference(expected, actual)}");
            }
        }
        Assert.False(prefill.isnan().any().item<bool>(), "padding rows must stay finite");
        steps.ForEach(s => s.Dispose());
    }

    [Fact]
    public void Forward_WindowDisabledByUseSlidingWindowFalse_EqualsFullAttention()
    {
        var config = TinyGemma.Config("qwen2-window");
        using var windowed = TinyGemma.Create(config);
        using var full = TinyGemma.Create(config with { UseSlidingWindow = false });
        using var noGrad = no_grad();
        using var a = windowed.Forward(TinyLlama.Ids(Prompt));
        using var b = full.Forward(TinyLlama.Ids(Prompt));
        var reference = ReferenceGemma.Logits(full, Prompt);
        Assert.True(TinyGemma.MaxDifference(TinyGemma.Values(b), reference) < Tolerance(reference));
        Assert.True(TinyLlama.MaxAbsDifference(a, b) > 10 * Tolerance(reference), "the window must matter past its length");
    }

    [Fact]
    public void Gemma_NamedParameters_UseHuggingFaceNames()
    {
        using var model = TinyGemma.Create(TinyGemma.Config("gemma3"));
        var names = model.NamedParameters().Select(p => p.Name).ToHashSet();
        string[] layer0 =
        [
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
            "model.layers.0.self_attn.o_proj.weight", "model.layers.0.self_attn.q_norm.weight", "model.layers.0.self_attn.k_norm.weight",
            "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
            "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
            "model.layers.0.pre_feedforward_layernorm.weight", "model.layers.0.post_feedforward_layernorm.weight",
        ];
        Assert.Subset(names, layer0.ToHashSet());
        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.norm.weight", names);
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Equal(4 * 13 + 2, names.Count);
        using var gemma2 = TinyGemma.Create(TinyGemma.Config("gemma2"));
        Assert.DoesNotContain(gemma2.NamedParameters(), p => p.Name.Contains("q_norm", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_Gemma_NormWeightsStartAtZero()
    {
        using var model = LlamaForCausalLM.Create(TinyGemma.Gemma2(), seed: 1);
        Assert.All(model.NamedParameters().Where(p => p.Name.EndsWith("norm.weight", StringComparison.Ordinal)),
            p => Assert.Equal(0f, p.Parameter.abs().max().item<float>()));
    }
}
