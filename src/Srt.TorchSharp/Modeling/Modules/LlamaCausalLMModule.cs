using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// The root module, named as Hugging Face's LlamaForCausalLM so <c>named_parameters()</c> yields checkpoint names
/// (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>). With tied embeddings there is no
/// <c>lm_head</c>: the output projection reuses <c>model.embed_tokens.weight</c>.
/// </summary>
internal sealed class LlamaCausalLMModule : nn.Module
{
    [ComponentName(Name = "model")]
    private readonly LlamaDecoder _model;

    [ComponentName(Name = "lm_head")]
    private readonly LinearProjection? _lmHead;

    // Gemma 2's final_logit_softcapping: logits become tanh(z / cap) · cap.
    private readonly double? _finalLogitSoftcapping;

    public LlamaCausalLMModule(LlamaConfig config, ScalarType dtype, Device device)
        : base("LlamaForCausalLM")
    {
        _finalLogitSoftcapping = config.FinalLogitSoftcapping;
        _model = new LlamaDecoder(config, dtype, device);
        _lmHead = config.TieWordEmbeddings ? null : new LinearProjection(config.HiddenSize, config.VocabSize, false, dtype, device);
        RegisterComponents();
    }

    public LlamaDecoder Decoder => _model;

    public Parameter LmHeadWeight => _lmHead?.Weight ?? _model.EmbedTokens.Weight;

    // The output projection of a decoding step (a few rows) takes the small-row CPU kernel where it applies.
    // Gemma 2 caps the logits: tanh(z / cap) · cap.
    public Tensor ComputeLogits(Tensor hidden)
    {
        var logits = SmallRowLinear.TryLinear(hidden, LmHeadWeight) ?? nn.functional.linear(hidden, LmHeadWeight);
        if (_finalLogitSoftcapping is not { } cap)
        {
            return logits;
        }
        using (logits)
        {
            using var scaled = logits / HeldScalars.Of(cap);
            using var capped = scaled.tanh();
            return capped * HeldScalars.Of(cap);
        }
    }
}
