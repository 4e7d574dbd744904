using Srt.TorchSharp.Kernels.Cpu;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Generation;

/// <summary>
/// A whole continuous-batching decode step with the CPU slot-attention kernel against the same step on libtorch's
/// path (rotary, cache scatter, mask, SDPA or Gemma's explicit attention), over slots of ragged lengths that pass the
/// sliding window: grouped key/value heads, Gemma 2's soft cap and alternating windows, Gemma 3's per-layer rotary,
/// Phi-3's fused projection and partial rotary, SmolLM3's layers without rotary, Qwen3's and OLMo 2's query/key norms.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SlotDecodeStepTests
{
    // Hidden states after the final norm are O(1); float32 rounding of a few layers stays far below this.
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Variants => ["gemma2", "gemma3", "mistral-window", "qwen2-window", "phi3", "smollm3", "qwen3", "olmo2"];

    [Theory]
    [MemberData(nameof(Variants))]
    public void ForwardHiddenSlots_KernelAttention_MatchesLibtorchPathAndCache(string variant)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = variant is "phi3" or "smollm3" or "qwen3" or "olmo2" ? TinyFamilies.Create(variant) : TinyGemma.Create(TinyGemma.Config(variant), seed: 11);
        Assert.True(SlotDecodeAttention.Applies(model.DType, model.Device));

        var (kernelHidden, kernelKeys) = Steps(model, kernel: true);
        var (torchHidden, torchKeys) = Steps(model, kernel: false);

        for (var step = 0; step < kernelHidden.Count; step++)
        {
            var error = (kernelHidden[step] - torchHidden[step]).abs().max().item<float>();
            Assert.True(error <= Tolerance, $"step {step}: max |kernel − libtorch| = {error:e2}");
        }
        var cacheError = (kernelKeys - torchKeys).abs().max().item<float>();
        Assert.True(cacheError <= Tolerance, $"cached keys: max |kernel − libtorch| = {cacheError:e2}");
    }

    /// <summary>Prefills prompts of 2, 13 and 7 tokens into three slots, then runs six steps with ragged lengths (slot 0
    /// runs alone for the last two, after the others are released).</summary>
    private static (List<Tensor> Hidden, Tensor Keys) Steps(LlamaForCausalLM model, bool kernel)
    {
        SlotDecodeAttention.Enabled = kernel;
        try
        {
            using var cache = model.CreateSlotKvCache(3, 32);
            int[] lengths = [2, 13, 7];
            for (var slot = 0; slot < lengths.Length; slot++)
            {
                using var prefill = model.CreateKvCache(lengths[slot] + 1);
                var ids = arange(lengths[slot], ScalarType.Int64).add_(5 * slot + 3).remainder_(model.Config.VocabSize).unsqueeze(0);
                model.ForwardHidden(ids, null, prefill);
                cache.Load(slot, prefill);
            }
            cache.ActiveSlots = 3;
            var hidden = new List<Tensor>();
            for (var step = 0; step < 6; step++)
            {
                if (step == 4)
                {
                    cache.ActiveSlots = 1;
                }
                var tokens = tensor(Enumerable.Range(0, cache.ActiveSlots).Select(slot => (long)(7 * step + slot + 1)).ToArray(), [cache.ActiveSlots, 1]);
                hidden.Add(model.ForwardHiddenSlots(tokens, cache));
            }
            return (hidden, cache.Keys(model.Config.NumHiddenLayers - 1).clone());
        }
        finally
        {
            SlotDecodeAttention.Enabled = true;
        }
    }
}
