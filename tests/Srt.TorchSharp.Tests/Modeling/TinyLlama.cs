using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>Tiny random Llama-family models (vocab 97, hidden 32, 2 layers, 4 heads) for tests.</summary>
internal static class TinyLlama
{
    public static LlamaConfig Config(
        string modelType = "llama", int keyValueHeads = 2, bool tied = false, RopeScaling? ropeScaling = null,
        bool? attentionBias = null, int? headDim = null) => new()
        {
            ModelType = modelType,
            VocabSize = 97,
            HiddenSize = 32,
            IntermediateSize = 64,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = keyValueHeads,
            HeadDim = headDim,
            RmsNormEps = 1e-5,
            RopeTheta = 10000,
            RopeScaling = ropeScaling,
            MaxPositionEmbeddings = 64,
            TieWordEmbeddings = tied,
            AttentionBias = attentionBias ?? modelType == "qwen2",
            BosTokenId = 1,
            EosTokenIds = [2],
        };

    public static RopeScaling Llama3Scaling => new()
    {
        RopeType = RopeScaling.Llama3, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 16,
    };

    public static RopeScaling LinearScaling => new() { RopeType = RopeScaling.Linear, Factor = 4 };

    /// <summary>A model with weights large enough (std 0.2, norms near 1, non-zero biases) that bugs move the logits.</summary>
    public static LlamaForCausalLM Create(LlamaConfig config, ScalarType dtype = ScalarType.Float32, long seed = 7)
    {
        var model = LlamaForCausalLM.Create(config, new ModelLoadOptions { DType = dtype }, seed, initializerRange: 0.2);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal))
            {
                using var noise = randn(parameter.shape, ScalarType.Float32).mul_(0.1);
                parameter.add_(noise.to(dtype));
            }
        }
        model.Eval();
        return model;
    }

    public static Tensor Ids(params long[][] rows)
    {
        var width = rows.Max(r => r.Length);
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, width], ScalarType.Int64);
    }

    public static float MaxAbsDifference(Tensor a, Tensor b)
    {
        using var difference = (a.to(ScalarType.Float32) - b.to(ScalarType.Float32)).abs().max();
        return difference.item<float>();
    }
}
