using Srt.TorchSharp.Kernels.Cpu;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Generation;

/// <summary>
/// The fused decoding step (every layer in one parallel run) against the same step layer by layer with the same CPU
/// kernels: bitwise equal hidden states and slot caches over ragged slots, for grouped key/value heads, q/k/v, output
/// and MLP biases, sliding windows, layers without rotary, and widths that leave partial blocks and tiles; and the
/// families and states it must leave to the layer-by-layer path.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SlotDecodeLayersTests
{
    public static TheoryData<string> Fused => ["llama", "llama-biases", "wide", "qwen2-window", "mistral-window", "smollm3"];

    public static TheoryData<string> Declined => ["phi3", "qwen3", "olmo2", "gemma2"];

    [Theory]
    [MemberData(nameof(Fused))]
    public void Step_Fused_EqualsLayerByLayerBitwise(string variant)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = Create(variant);
        var slots = variant == "wide" ? 11 : 3;

        var before = SlotDecodeLayers.StepsRun;
        var (fusedHidden, fusedKeys, fusedValues) = Steps(model, slots, fused: true);
        var ran = SlotDecodeLayers.StepsRun - before;
        var (layeredHidden, layeredKeys, layeredValues) = Steps(model, slots, fused: false);

        Assert.Equal(fusedHidden.Count, ran);
        for (var step = 0; step < fusedHidden.Count; step++)
        {
            Assert.Equal(Floats(layeredHidden[step]), Floats(fusedHidden[step]));
        }
        Assert.Equal(Floats(layeredKeys), Floats(fusedKeys));
        Assert.Equal(Floats(layeredValues), Floats(fusedValues));
    }

    [Fact]
    public void Step_Fused_DoesNotDependOnTheThreadCount()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = Create("wide");

        // One thread runs every ticket in order, over blocks cut for one thread; three share blocks cut for three.
        var alone = Steps(model, 11, fused: true, decodeThreads: 1).Hidden;
        var shared = Steps(model, 11, fused: true, decodeThreads: 3).Hidden;

        for (var step = 0; step < alone.Count; step++)
        {
            Assert.Equal(Floats(alone[step]), Floats(shared[step]));
        }
    }

    [Theory]
    [MemberData(nameof(Declined))]
    public void Step_FamilyTheFusedStepDoesNotRun_RunsLayerByLayer(string variant)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = variant == "gemma2" ? TinyGemma.Create(TinyGemma.Config(variant), seed: 11) : TinyFamilies.Create(variant);

        var before = SlotDecodeLayers.StepsRun;
        Steps(model, 3, fused: true);

        Assert.Equal(before, SlotDecodeLayers.StepsRun);
    }

    [Fact]
    public void Step_WithLoraAdapters_RunsLayerByLayerWithTheAdapters()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = Create("llama");
        var (plain, _, _) = Steps(model, 3, fused: true);
        using var adapters = LoraAdapters.Attach(model, new LoraOptions { Rank = 2, Dropout = 0 }, seed: 3);
        foreach (var (_, b) in adapters.NamedParameters().Where(p => p.Parameter.shape[1] == 2))
        {
            b.normal_(0, 0.5);
        }

        var before = SlotDecodeLayers.StepsRun;
        var (adapted, _, _) = Steps(model, 3, fused: true);

        Assert.Equal(before, SlotDecodeLayers.StepsRun);
        Assert.NotEqual(Floats(plain[0]), Floats(adapted[0]));
    }

    [Fact]
    public void Step_SmallRowKernelsOff_RunsLayerByLayer()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = Create("llama");
        var before = SlotDecodeLayers.StepsRun;
        SmallRowLinear.Enabled = false;
        try
        {
            Steps(model, 3, fused: true);
        }
        finally
        {
            SmallRowLinear.Enabled = true;
        }

        Assert.Equal(before, SlotDecodeLayers.StepsRun);
    }

    private static LlamaForCausalLM Create(string variant) => variant switch
    {
        "llama" => TinyLlama.Create(TinyLlama.Config()),
        "llama-biases" => TinyLlama.Create(TinyLlama.Config(attentionBias: true) with { MlpBias = true }),
        // 11 slots (two 4-row tiles and three single rows), a hidden width of 40 (a 16-lane pass and a tail of 8) and
        // an MLP width of 90 (partial blocks and two features past the last tile), three layers.
        "wide" => TinyLlama.Create(TinyLlama.Config(headDim: 10) with
        {
            HiddenSize = 40, IntermediateSize = 90, NumAttentionHeads = 6, NumKeyValueHeads = 3, NumHiddenLayers = 3, MaxPositionEmbeddings = 128,
        }),
        "smollm3" => TinyFamilies.Create(variant),
        _ => TinyLlama.Create(TinyGemma.Config(variant)),
    };

    /// <summary>Prefills prompts of ragged lengths (past the sliding window) into <paramref name="slots"/> slots, then
    /// runs six steps (on <paramref name="decodeThreads"/> threads where given: libtorch's prefill products depend on
    /// the thread count, so only the steps change it); after the fourth only the first slot runs on.</summary>
    private static (List<Tensor> Hidden, Tensor Keys, Tensor Values) Steps(LlamaForCausalLM model, int slots, bool fused, int? decodeThreads = null)
    {
        var threads = get_num_threads();
        SlotDecodeLayers.Enabled = fused;
        try
        {
            using var cache = model.CreateSlotKvCache(slots, 48);
            for (var slot = 0; slot < slots; slot++)
            {
                var length = 2 + (11 * slot % 17);
                using var prefill = model.CreateKvCache(length + 1);
                var ids = arange(length, ScalarType.Int64).add_(5 * slot + 3).remainder_(model.Config.VocabSize).unsqueeze(0);
                model.ForwardHidden(ids, null, prefill);
                cache.Load(slot, prefill);
            }
            cache.ActiveSlots = slots;
            set_num_threads(decodeThreads ?? threads);
            var hidden = new List<Tensor>();
            for (var step = 0; step < 6; step++)
            {
                if (step == 4)
                {
                    cache.ActiveSlots = 1;
                }
                var tokens = tensor(Enumerable.Range(0, cache.ActiveSlots).Select(slot => (long)(7 * step + slot + 1) % model.Config.VocabSize).ToArray(), [cache.ActiveSlots, 1]);
                hidden.Add(model.ForwardHiddenSlots(tokens, cache));
            }
            var last = model.Config.NumHiddenLayers - 1;
            return (hidden, cache.Keys(last).clone(), cache.Values(last).clone());
        }
        finally
        {
            SlotDecodeLayers.Enabled = true;
            set_num_threads(threads);
        }
    }

    private static float[] Floats(Tensor tensor) => tensor.contiguous().data<float>().ToArray();
}
