using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

[Collection(TorchSharpCollection.Name)]
public sealed class LlamaForCausalLMTests
{
    public static TheoryData<string> Variants => ["gqa", "mha", "qwen2", "tied", "llama3", "linear", "llama-bias", "head-dim"];

    internal static LlamaConfig VariantConfig(string variant) => variant switch
    {
        "gqa" => TinyLlama.Config(),
        "mha" => TinyLlama.Config(keyValueHeads: 4),
        "qwen2" => TinyLlama.Config(modelType: "qwen2", keyValueHeads: 1, tied: true),
        "tied" => TinyLlama.Config(tied: true),
        "llama3" => TinyLlama.Config(ropeScaling: TinyLlama.Llama3Scaling),
        "linear" => TinyLlama.Config(ropeScaling: TinyLlama.LinearScaling),
        "llama-bias" => TinyLlama.Config(attentionBias: true),
        "head-dim" => TinyLlama.Config(headDim: 16),
        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Forward_MatchesDoublePrecisionReference_Within1e4(string variant)
    {
        using var model = TinyLlama.Create(VariantConfig(variant));
        long[] ids = [5, 17, 3, 96, 40, 8, 22, 61, 0, 13, 77, 30];
        using var noGrad = no_grad();
        using var input = TinyLlama.Ids(ids);
        using var logits = model.Forward(input);
        var expected = ReferenceLlama.Logits(model, ids);
        var actual = logits.to(ScalarType.Float64).data<double>().ToArray();
        var worst = 0.0;
        for (var t = 0; t < ids.Length; t++)
        {
            for (var v = 0; v < model.Config.VocabSize; v++)
            {
                worst = Math.Max(worst, Math.Abs(actual[t * model.Config.VocabSize + v] - expected[t, v]));
            }
        }

        Assert.True(worst < 1e-4, $"max |logit - reference| = {worst}");
        Assert.True(expected.Cast<double>().Max(Math.Abs) > 0.1, "logits too small for the comparison to mean anything");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Forward_WithKvCache_EqualsFullRecompute(string variant)
    {
        using var model = TinyLlama.Create(VariantConfig(variant));
        long[] ids = [4, 9, 33, 2, 71, 15, 50, 88, 6, 19];
        using var noGrad = no_grad();
        using var full = model.Forward(TinyLlama.Ids(ids));
        using var cache = model.CreateKvCache(initialCapacity: 4); // small, so the buffers must grow
        var steps = new List<Tensor>
        {
            model.Forward(TinyLlama.Ids(ids[..3]), cache: cache), // prefill
            model.Forward(TinyLlama.Ids(ids[3..5]), cache: cache), // a chunk of two after the cache
        };
        for (var t = 5; t < ids.Length; t++)
        {
            steps.Add(model.Forward(TinyLlama.Ids([ids[t]]), cache: cache));
        }
        using var incremental = cat(steps, 1);
        Assert.Equal(ids.Length, cache.Length);
        Assert.True(cache.Capacity >= ids.Length);
        Assert.True(TinyLlama.MaxAbsDifference(full, incremental) < 1e-5, $"diff {TinyLlama.MaxAbsDifference(full, incremental)}");
        steps.ForEach(s => s.Dispose());
    }

    [Theory]
    [InlineData("gqa")]
    [InlineData("qwen2")]
    [InlineData("llama3")]
    public void Forward_LeftPaddedBatchWithCache_EqualsEachRowAlone(string variant)
    {
        using var model = TinyLlama.Create(VariantConfig(variant));
        long[][] prompts = [[11, 12, 13, 14, 15], [21, 22], [31, 32, 33]];
        long[][] continuations = [[41, 42, 43], [51, 52, 53], [61, 62, 63]];
        const long Pad = 0;
        var width = prompts.Max(p => p.Length);
        using var noGrad = no_grad();

        // Batched: left-padded prefill, then three single-token steps with the mask growing by one column each.
        var padded = prompts.Select(p => Enumerable.Repeat(Pad, width - p.Length).Concat(p).ToArray()).ToArray();
        var maskRows = prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(Enumerable.Repeat(1L, p.Length)).ToList()).ToArray();
        using var cache = model.CreateKvCache();
        var batchedPrefill = model.Forward(TinyLlama.Ids(padded), TinyLlama.Ids(maskRows.Select(r => r.ToArray()).ToArray()), cache);
        var batchedSteps = new List<Tensor>();
        for (var step = 0; step < 3; step++)
        {
            foreach (var row in maskRows) row.Add(1);
            batchedSteps.Add(model.Forward(
                TinyLlama.Ids(continuations.Select(c => new[] { c[step] }).ToArray()),
                TinyLlama.Ids(maskRows.Select(r => r.ToArray()).ToArray()), cache));
        }

        for (var row = 0; row < prompts.Length; row++)
        {
            using var alone = model.Forward(TinyLlama.Ids(prompts[row].Concat(continuations[row]).ToArray()));
            var promptLength = prompts[row].Length;
            using var expectedPrompt = alone[0].narrow(0, 0, promptLength);
            using var actualPrompt = batchedPrefill[row].narrow(0, width - promptLength, promptLength);
            Assert.True(TinyLlama.MaxAbsDifference(expectedPrompt, actualPrompt) < 1e-5, $"row {row} prompt");
            for (var step = 0; step < 3; step++)
            {
                using var expected = alone[0][promptLength + step];
                using var actual = batchedSteps[step][row][0];
                Assert.True(TinyLlama.MaxAbsDifference(expected, actual) < 1e-5, $"row {row} step {step}: {TinyLlama.MaxAbsDifference(expected, actual)}");
            }
        }
        using var paddingLogits = batchedPrefill[1][0];
        Assert.False(paddingLogits.isnan().any().item<bool>(), "padding rows must stay finite");
        batchedPrefill.Dispose();
        batchedSteps.ForEach(s => s.Dispose());
    }

    [Fact]
    public void Forward_Bfloat16_CloseToFloat32()
    {
        using var model32 = TinyLlama.Create(TinyLlama.Config());
        using var model16 = TinyLlama.Create(TinyLlama.Config()).To(CPU, ScalarType.BFloat16);
        using var noGrad = no_grad();
        using var ids = TinyLlama.Ids([3, 14, 15, 92, 65, 35, 89, 79]);
        using var logits32 = model32.Forward(ids);
        using var logits16 = model16.Forward(ids);
        Assert.Equal(ScalarType.BFloat16, logits16.dtype);
        var scale = logits32.abs().max().item<float>();
        var difference = TinyLlama.MaxAbsDifference(logits32, logits16);
        // bf16 keeps 8 mantissa bits (relative step 2^-8 ≈ 0.004); two layers of rounding stay well under 5% of the range.
        Assert.True(difference < 0.05 * scale, $"bf16 vs fp32: max diff {difference}, max |logit| {scale}");
        Assert.True(difference > 0, "bf16 should not be bit-identical to fp32");
    }

    [Fact]
    public void NamedParameters_UseHuggingFaceNames()
    {
        using var llama = TinyLlama.Create(TinyLlama.Config());
        var names = llama.NamedParameters().Select(p => p.Name).ToHashSet();
        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.layers.1.self_attn.q_proj.weight", names);
        Assert.Contains("model.layers.0.mlp.down_proj.weight", names);
        Assert.Contains("model.layers.0.post_attention_layernorm.weight", names);
        Assert.Contains("model.norm.weight", names);
        Assert.Contains("lm_head.weight", names);
        Assert.Equal(3 + 2 * 9, names.Count);
        Assert.Equal([16, 32], llama.NamedParameters().Single(p => p.Name == "model.layers.0.self_attn.k_proj.weight").Parameter.shape);

        using var qwen = TinyLlama.Create(TinyLlama.Config(modelType: "qwen2", tied: true));
        var qwenNames = qwen.NamedParameters().Select(p => p.Name).ToHashSet();
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", qwenNames);
        Assert.Contains("model.layers.0.self_attn.v_proj.bias", qwenNames);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", qwenNames);
        Assert.DoesNotContain("lm_head.weight", qwenNames);
        Assert.Same(qwen.EmbeddingWeight, qwen.LmHeadWeight);
    }

    [Fact]
    public void ForwardHidden_ThenComputeLogits_EqualsForward()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        using var noGrad = no_grad();
        using var ids = TinyLlama.Ids([1, 2, 3, 4]);
        using var hidden = model.ForwardHidden(ids);
        Assert.Equal([1L, 4, 32], hidden.shape);
        using var logits = model.ComputeLogits(hidden);
        using var direct = model.Forward(ids);
        Assert.Equal([1L, 4, 97], direct.shape);
        Assert.Equal(0f, TinyLlama.MaxAbsDifference(logits, direct));
    }

    [Fact]
    public void Forward_WithGrad_BackpropagatesToEveryParameter()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        model.Train();
        using var ids = TinyLlama.Ids([5, 6, 7, 8], [9, 10, 11, 12]);
        using var logits = model.Forward(ids);
        using var loss = logits.square().mean();
        loss.backward();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            Assert.True(parameter.grad is { } grad && grad.abs().sum().item<float>() > 0, $"{name} has no gradient");
        }
    }

    [Fact]
    public void Forward_WrongMaskShape_ThrowsNamingShapes()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        using var noGrad = no_grad();
        var error = Assert.Throws<ArgumentException>(() => model.Forward(TinyLlama.Ids([1, 2, 3]), TinyLlama.Ids([1, 1])));
        Assert.Contains("[1, 3]", error.Message);
    }

    [Theory]
    [InlineData("cuda", "CUDA is not available")]
    [InlineData("gpu7", "gpu7")]
    public void Create_UnusableDevice_ThrowsClearError(string device, string expected)
    {
        if (device == "cuda" && cuda.is_available())
        {
            return; // nothing to refuse on a CUDA machine
        }
        var error = Assert.Throws<ArgumentException>(() => LlamaForCausalLM.Create(TinyLlama.Config(), new ModelLoadOptions { Device = device }).Dispose());
        Assert.Contains(expected, error.Message);
    }
}
