using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>Tiny random models of the newer families (Qwen3, OLMo 2, SmolLM3, Phi-3), vocabulary 259 so the tiny
/// byte-level chat tokenizer of the generation tests fits them.</summary>
internal static class TinyFamilies
{
    public const int VocabularySize = 259;

    public static TheoryData<string> Variants => ["qwen3", "qwen3-bias-tied", "olmo2", "smollm3", "smollm3-list", "phi3", "phi3-full-rotary"];

    public static LlamaConfig Config(string variant)
    {
        var baseline = TinyLlama.Config() with { VocabSize = VocabularySize, MaxPositionEmbeddings = 128, EosTokenIds = [258] };
        return variant switch
        {
            // head_dim 16 differs from hidden / heads = 8, as Qwen3 checkpoints' explicit head_dim does.
            "qwen3" => baseline with { ModelType = "qwen3", HeadDim = 16 },
            "qwen3-bias-tied" => baseline with { ModelType = "qwen3", HeadDim = 16, AttentionBias = true, TieWordEmbeddings = true },
            "olmo2" => baseline with { ModelType = "olmo2" },
            // Interval 2 over 2 layers: layer 1 is NoPE.
            "smollm3" => baseline with { ModelType = "smollm3", NoRopeLayerInterval = 2, TieWordEmbeddings = true },
            // An explicit list: layer 0 is NoPE, layer 1 rotates.
            "smollm3-list" => baseline with { ModelType = "smollm3", NoRopeLayers = [0, 1] },
            // Phi-4-mini rotates 0.75 of each head; 0.5 of head_dim 8 rotates 4 features and passes 4 through.
            "phi3" => baseline with { ModelType = "phi3", PartialRotaryFactor = 0.5 },
            "phi3-full-rotary" => baseline with { ModelType = "phi3", NumKeyValueHeads = 4 },
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
    }

    /// <summary>Like <see cref="TinyLlama.Create"/>, with the q/k norm weights spread further from 1 so that where
    /// they are applied (per head, before or after rotary) shows in the logits.</summary>
    public static LlamaForCausalLM Create(string variant, long seed = 7)
    {
        var model = TinyLlama.Create(Config(variant), seed: seed);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (name.EndsWith("q_norm.weight", StringComparison.Ordinal) || name.EndsWith("k_norm.weight", StringComparison.Ordinal))
            {
                using var noise = randn(parameter.shape).mul_(0.4);
                parameter.add_(noise);
            }
        }
        return model;
    }
}
