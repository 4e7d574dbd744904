using Srt.TorchSharp.Modeling;

namespace Srt.Benchmarks.Generation;

/// <summary>Parameter counts and per-token work of a Llama model, for the physical bounds.</summary>
internal sealed class ModelShape
{
    private readonly LlamaConfig _config;
    private readonly long _bytesPerElement;

    public ModelShape(LlamaForCausalLM model)
    {
        _config = model.Config;
        Parameters = model.Parameters().Sum(p => p.numel());
        _bytesPerElement = model.DType == global::TorchSharp.torch.ScalarType.Float32 ? 4 : 2;
        Embedding = (long)_config.VocabSize * _config.HiddenSize;
        // Every matrix except the embedding lookup is multiplied per token; a tied lm_head reuses the embedding.
        LayerParameters = Parameters - Embedding - (_config.TieWordEmbeddings ? 0 : Embedding);
    }

    public long Parameters { get; }

    private long Embedding { get; }

    private long LayerParameters { get; }

    private long AttentionWidth => (long)_config.NumAttentionHeads * _config.HeadDimension;

    /// <summary>Prefill FLOPs per prompt token: layer matmuls, causal attention (QKᵀ and AV over T/2 keys on
    /// average), and the output projection of the last position only, spread over the prompt.</summary>
    public double PrefillFlopsPerToken(int promptTokens) =>
        2.0 * LayerParameters
        + 2.0 * 2 * _config.NumHiddenLayers * AttentionWidth * (promptTokens / 2.0)
        + 2.0 * Embedding / promptTokens;

    /// <summary>Decode bound for one step of <paramref name="batch"/> rows at context <paramref name="context"/>: the
    /// slower of reading all weights (and the KV cache) once, and the step's FLOPs at the matmul rate.</summary>
    public (double TokensPerSecond, string Kind) DecodeBound(int batch, int context, double bytesPerSecond, double flopsPerSecond)
    {
        var cacheBytes = 2.0 * _config.NumHiddenLayers * batch * _config.KeyValueHeadCount * _config.HeadDimension * context * _bytesPerElement;
        var weightBytes = (double)(LayerParameters + Embedding) * _bytesPerElement;
        var memory = batch * bytesPerSecond / (weightBytes + cacheBytes);
        var flopsPerToken = 2.0 * (LayerParameters + Embedding) + 4.0 * _config.NumHiddenLayers * AttentionWidth * context;
        var compute = flopsPerToken == 0 ? double.PositiveInfinity : flopsPerSecond / flopsPerToken;
        return memory <= compute ? (memory, "memory") : (compute, "compute");
    }
}
