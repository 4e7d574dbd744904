using Srt.TorchSharp.Modeling;

namespace Srt.Benchmarks.Generation;

/// <summary>The Llama shapes the generation benchmark (and its PyTorch peer) run; vocabulary 32,000 as Llama 2.</summary>
internal static class BenchmarkLlamaConfigs
{
    /// <summary>About 23M parameters: hidden 384, 6 layers, 6 heads (2 key/value heads), tied embeddings.</summary>
    public static LlamaConfig Small => new()
    {
        VocabSize = 32000, HiddenSize = 384, IntermediateSize = 1152, NumHiddenLayers = 6,
        NumAttentionHeads = 6, NumKeyValueHeads = 2, TieWordEmbeddings = true, MaxPositionEmbeddings = 2048,
    };

    /// <summary>About 100M parameters: hidden 768, 12 layers, 12 heads (4 key/value heads), tied embeddings.</summary>
    public static LlamaConfig Base => new()
    {
        VocabSize = 32000, HiddenSize = 768, IntermediateSize = 2048, NumHiddenLayers = 12,
        NumAttentionHeads = 12, NumKeyValueHeads = 4, TieWordEmbeddings = true, MaxPositionEmbeddings = 2048,
    };

    public static LlamaConfig ByName(string name) => name switch
    {
        "25m" => Small,
        "100m" => Base,
        _ => throw new ArgumentException($"Unknown --size '{name}'; use 25m or 100m."),
    };
}
