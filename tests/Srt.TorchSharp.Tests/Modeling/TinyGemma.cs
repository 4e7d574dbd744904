using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>
/// Tiny random models with sliding windows: Gemma 2 and Gemma 3 text (4 layers, hidden 32, head_dim 16 so that
/// heads × head_dim ≠ hidden), and Mistral/Qwen2 with windows shorter than the test prompts. Caps, windows and
/// query_pre_attn_scalar are small, unlike the real models, so that each of them visibly moves the logits.
/// </summary>
internal static class TinyGemma
{
    public static TheoryData<string> Variants => ["gemma2", "gemma3", "gemma3-rope-parameters", "mistral-window", "qwen2-window"];

    public static LlamaConfig Gemma2(int vocab = 97) => new()
    {
        ModelType = "gemma2",
        VocabSize = vocab,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        RmsNormEps = 1e-6,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = true,
        SlidingWindow = 5,
        QueryPreAttnScalar = 24,
        AttnLogitSoftcapping = 1.5,
        FinalLogitSoftcapping = 2.0,
        HiddenActivation = "gelu_pytorch_tanh",
        BosTokenId = 2,
        EosTokenIds = [1],
    };

    public static LlamaConfig Gemma3(int vocab = 97) => Gemma2(vocab) with
    {
        ModelType = "gemma3_text",
        SlidingWindow = 4,
        SlidingWindowPattern = 3, // layers 0, 1 and 3 slide; layer 2 is global
        RopeTheta = 1_000_000,
        RopeScaling = new RopeScaling { RopeType = RopeScaling.Linear, Factor = 4 },
        RopeLocalBaseFreq = 10000,
        AttnLogitSoftcapping = null,
        FinalLogitSoftcapping = null,
    };

    public static LlamaConfig Config(string variant, int vocab = 97) => variant switch
    {
        "gemma2" => Gemma2(vocab),
        "gemma3" => Gemma3(vocab),
        // transformers 5's per-layer-type rope_parameters: sliding layers with their own base and scaling.
        "gemma3-rope-parameters" => Gemma3(vocab) with
        {
            LayerTypes = ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
            RopeLocalBaseFreq = 500,
            LocalRopeScaling = new RopeScaling { RopeType = RopeScaling.Linear, Factor = 2 },
            WritesRopeParametersPerLayerType = true,
        },
        "mistral-window" => TinyLlama.Config("mistral") with { VocabSize = vocab, SlidingWindow = 4, MaxPositionEmbeddings = 512 },
        "qwen2-window" => TinyLlama.Config("qwen2") with
        {
            VocabSize = vocab, UseSlidingWindow = true, SlidingWindow = 4, MaxWindowLayers = 1, MaxPositionEmbeddings = 512,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
    };

    /// <summary>A model with weights large enough that a missed detail moves the logits: std 0.2, norm weights
    /// (and biases) with noise of std 0.3 around their initial value.</summary>
    public static LlamaForCausalLM Create(LlamaConfig config, ScalarType dtype = ScalarType.Float32, long seed = 7)
    {
        var model = LlamaForCausalLM.Create(config, new ModelLoadOptions { DType = dtype }, seed, initializerRange: 0.2);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal))
            {
                using var noise = randn(parameter.shape, ScalarType.Float32).mul_(0.3);
                parameter.add_(noise.to(dtype));
            }
        }
        model.Eval();
        return model;
    }

    public static double MaxAbs(double[,] values) => values.Cast<double>().Max(Math.Abs);

    /// <summary>The largest |a - b| over the rows <paramref name="rows"/> of <paramref name="actual"/> [T, V] (row-major).</summary>
    public static double MaxDifference(double[] actual, double[,] expected)
    {
        var vocab = expected.GetLength(1);
        var worst = 0.0;
        for (var t = 0; t < actual.Length / vocab; t++)
        {
            for (var v = 0; v < vocab; v++)
            {
                worst = Math.Max(worst, Math.Abs(actual[t * vocab + v] - expected[t, v]));
            }
        }

        return worst;
    }

    public static double[] Values(Tensor logits) => logits.to(ScalarType.Float64).data<double>().ToArray();
}
