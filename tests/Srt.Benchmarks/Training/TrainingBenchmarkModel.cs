using Srt.TorchSharp.Modeling;

namespace Srt.Benchmarks.Training;

/// <summary>A benchmark model size with its batch, and the model-FLOPs count used for MFU.</summary>
internal sealed record TrainingBenchmarkModel(string Name, int Vocab, int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, int Batch, int Sequence)
{
    public static IReadOnlyList<TrainingBenchmarkModel> All { get; } =
    [
        new("25m", Vocab: 16000, Hidden: 384, Layers: 8, Heads: 6, KvHeads: 6, Intermediate: 1024, Batch: 8, Sequence: 256),
        new("100m", Vocab: 32000, Hidden: 768, Layers: 8, Heads: 12, KvHeads: 12, Intermediate: 2048, Batch: 4, Sequence: 512),
    ];

    public LlamaConfig Config => new()
    {
        VocabSize = Vocab,
        HiddenSize = Hidden,
        IntermediateSize = Intermediate,
        NumHiddenLayers = Layers,
        NumAttentionHeads = Heads,
        NumKeyValueHeads = KvHeads,
        RmsNormEps = 1e-5,
        MaxPositionEmbeddings = Sequence,
    };

    public long Parameters
    {
        get
        {
            long headDim = Hidden / Heads;
            long attention = (long)Hidden * Heads * headDim * 2 + (long)Hidden * KvHeads * headDim * 2;
            long mlp = 3L * Hidden * Intermediate;
            return 2L * Vocab * Hidden + Layers * (attention + mlp + 2L * Hidden) + Hidden;
        }
    }

    /// <summary>Training FLOPs per token (PaLM appendix B): 6 × (parameters without the input embedding, whose lookup
    /// does no arithmetic) + 12 × layers × hidden × sequence for attention scores and values.</summary>
    public double FlopsPerToken => 6.0 * (Parameters - (long)Vocab * Hidden) + 12.0 * Layers * Hidden * Sequence;

    public IEnumerable<string> PeerArguments(string dtype, int threads, int steps, int warmup, int promptTokens) =>
    [
        "--vocab", $"{Vocab}", "--hidden", $"{Hidden}", "--layers", $"{Layers}", "--heads", $"{Heads}", "--kv-heads", $"{KvHeads}",
        "--intermediate", $"{Intermediate}", "--batch", $"{Batch}", "--seq", $"{Sequence}", "--threads", $"{threads}",
        "--steps", $"{steps}", "--warmup", $"{warmup}", "--prompt", $"{promptTokens}", "--dtype", dtype,
    ];
}
