using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>One decoder layer of any supported family: hidden states [B, T, hidden] in, the same shape out.</summary>
internal abstract class DecoderLayer : nn.Module
{
    protected DecoderLayer(string name)
        : base(name)
    {
    }

    public abstract Tensor Forward(Tensor hidden, AttentionContext context);

    /// <summary>The layer shape the config's model type uses: OLMo 2's post-norm layer, Gemma's sandwich-norm layer,
    /// or the Llama pre-norm layer.</summary>
    public static DecoderLayer Create(LlamaConfig config, int layerIndex, ScalarType dtype, Device device) =>
        config.IsPostNorm ? new PostNormDecoderLayer(config, layerIndex, dtype, device)
        : config.IsGemma ? new GemmaDecoderLayer(config, layerIndex, dtype, device)
        : new LlamaDecoderLayer(config, layerIndex, dtype, device);

    /// <summary>The MLP the config's model type uses: fused gate/up for Phi-3, separate projections otherwise.</summary>
    public static nn.Module<Tensor, Tensor> CreateMlp(LlamaConfig config, ScalarType dtype, Device device) =>
        config.HasFusedProjections ? new FusedGateUpMlp(config, dtype, device) : new LlamaMlp(config, dtype, device);
}
