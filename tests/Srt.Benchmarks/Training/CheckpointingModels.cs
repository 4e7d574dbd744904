using Srt.Benchmarks.Generation;
using Srt.TorchSharp.Modeling;

namespace Srt.Benchmarks.Training;

/// <summary>The model sizes of the <c>checkpointing</c> benchmark, vocabulary 32,000 as Llama 2.</summary>
internal static class CheckpointingModels
{
    /// <summary>Gets a config by name: <c>100m</c> (hidden 768, 12 layers, 12 heads with 4 key/value heads, intermediate
    /// 2,048, tied: 100M parameters) or <c>400m</c> (hidden 1,024, 24 layers, 16 heads, intermediate 3,072, untied: 393M).</summary>
    public static LlamaConfig ByName(string name) => name switch
    {
        "100m" => BenchmarkLlamaConfigs.Base with { MaxPositionEmbeddings = 8192, RmsNormEps = 1e-5 },
        "400m" => new LlamaConfig
        {
            VocabSize = 32000, HiddenSize = 1024, IntermediateSize = 3072, NumHiddenLayers = 24, NumAttentionHeads = 16,
            NumKeyValueHeads = 16, MaxPositionEmbeddings = 8192, RmsNormEps = 1e-5,
        },
        _ => throw new ArgumentException($"Unknown model '{name}'; use 100m or 400m."),
    };
}
