namespace Srt.TorchSharp.Modeling;

// Per-layer attention layout: sliding windows, layer types, per-layer rotary settings and the Gemma fields.
// Semantics follow Hugging Face transformers (masking_utils.sliding_window_overlay, the Mistral/Qwen2/Gemma 2/Gemma 3
// configurations and modeling_rope_utils' per-layer-type rope_parameters).
public sealed partial record LlamaConfig
{
    /// <summary>The <c>layer_types</c> value of a layer that attends to every earlier token.</summary>
    public const string FullAttention = "full_attention";

    /// <summary>The <c>layer_types</c> value of a layer that attends to the last <see cref="SlidingWindow"/> tokens only.</summary>
    public const string SlidingAttention = "sliding_attention";

    /// <summary>
    /// <c>sliding_window</c>: on sliding layers a query at position i sees key j only when <c>i - j &lt; window</c>
    /// (the window counts the query itself), as Hugging Face's mask. Which layers slide is given by
    /// <see cref="LayerTypeOf"/>; Llama ignores the field, Qwen2, Qwen3 and SmolLM3 apply it only with <see cref="UseSlidingWindow"/>.
    /// </summary>
    /// <value>The default is null (no window). Files that omit the field get Hugging Face's default: 4096 for mistral,
    /// gemma2 and gemma3_text.</value>
    public int? SlidingWindow { get; init; }

    /// <summary><c>use_sliding_window</c> (Qwen2): whether <see cref="SlidingWindow"/> applies at all.</summary>
    /// <value>The default is null, which Qwen2 reads as false.</value>
    public bool? UseSlidingWindow { get; init; }

    /// <summary><c>max_window_layers</c> (Qwen2): without <see cref="LayerTypes"/>, layers from this index on slide.</summary>
    /// <value>The default is null, read as 28 (Hugging Face's default).</value>
    public int? MaxWindowLayers { get; init; }

    /// <summary><c>layer_types</c>: <see cref="FullAttention"/> or <see cref="SlidingAttention"/> per layer, or null
    /// for the family's pattern (Mistral ignores the field, as Hugging Face does).</summary>
    /// <value>The default is null.</value>
    public IReadOnlyList<string>? LayerTypes { get; init; }

    /// <summary><c>sliding_window_pattern</c> (Gemma 3): without <see cref="LayerTypes"/>, every n-th layer is global.</summary>
    /// <value>The default is null, read as 6.</value>
    public int? SlidingWindowPattern { get; init; }

    /// <summary><c>query_pre_attn_scalar</c> (Gemma): attention scores are scaled by its inverse square root.</summary>
    /// <value>The default is null: the head dimension (files that omit it get Hugging Face's 256 for Gemma).</value>
    public double? QueryPreAttnScalar { get; init; }

    /// <summary><c>attn_logit_softcapping</c> (Gemma 2): scores become <c>tanh(s / cap) · cap</c> before the mask.</summary>
    /// <value>The default is null (no capping; files of type gemma2 that omit it get 50).</value>
    public double? AttnLogitSoftcapping { get; init; }

    /// <summary><c>final_logit_softcapping</c> (Gemma 2): logits become <c>tanh(z / cap) · cap</c>.</summary>
    /// <value>The default is null (no capping; files of type gemma2 that omit it get 30).</value>
    public double? FinalLogitSoftcapping { get; init; }

    /// <summary><c>hidden_activation</c> (Gemma): the MLP activation; only <c>gelu_pytorch_tanh</c> is supported.</summary>
    /// <value>The default is null (gelu_pytorch_tanh for Gemma).</value>
    public string? HiddenActivation { get; init; }

    /// <summary>The rotary base of sliding layers: Gemma 3's <c>rope_local_base_freq</c>, or
    /// <c>rope_parameters.sliding_attention.rope_theta</c>; null when sliding layers share <see cref="RopeTheta"/>.</summary>
    /// <value>The default is null (10000 for gemma3_text).</value>
    public double? RopeLocalBaseFreq { get; init; }

    /// <summary>The rotary scaling of sliding layers (<c>rope_parameters.sliding_attention</c>); used only when
    /// <see cref="RopeLocalBaseFreq"/> applies. Gemma 3's <c>rope_scaling</c> scales global layers only.</summary>
    /// <value>The default is null.</value>
    public RopeScaling? LocalRopeScaling { get; init; }

    /// <summary>Whether config.json carries rotary settings per layer type (<c>rope_parameters.full_attention</c>, ...).</summary>
    internal bool WritesRopeParametersPerLayerType { get; init; }

    /// <summary>Whether the model is Gemma 2 or Gemma 3 (text): Gemma norms, scaled embeddings, GeGLU, four norms per layer.</summary>
    public bool IsGemma => IsGemma2 || IsGemma3Text;

    internal bool IsGemma2 => string.Equals(ModelType, "gemma2", StringComparison.Ordinal);

    internal bool IsGemma3Text => string.Equals(ModelType, "gemma3_text", StringComparison.Ordinal);

    /// <summary>Mistral and Phi-3 slide on every layer whenever <c>sliding_window</c> is set (their configurations
    /// have no per-layer types).</summary>
    private bool SlidesEveryLayer => ModelType is "mistral" or "phi3";

    /// <summary>Qwen2, Qwen3 and SmolLM3 apply <c>sliding_window</c> only with <c>use_sliding_window</c>, from
    /// <c>max_window_layers</c> on unless <c>layer_types</c> says otherwise.</summary>
    private bool SlidesFromMaxWindowLayers => ModelType is "qwen2" or "qwen3" or "smollm3";

    private bool IsLlama => string.Equals(ModelType, "llama", StringComparison.Ordinal);

    /// <summary>The window sliding layers use, or null: Llama never slides, the Qwen2 kind only with <c>use_sliding_window</c>.</summary>
    private int? EffectiveSlidingWindow =>
        IsLlama || UseSlidingWindow == false || (UseSlidingWindow is null && SlidesFromMaxWindowLayers) ? null : SlidingWindow;

    /// <summary>The attention kind of <paramref name="layer"/>: <see cref="FullAttention"/> or <see cref="SlidingAttention"/>.</summary>
    /// <param name="layer">The layer index, from 0.</param>
    public string LayerTypeOf(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, NumHiddenLayers);
        if (SlidesEveryLayer)
        {
            // MistralConfig and Phi3Config ignore layer_types: every layer slides when sliding_window is set.
            return SlidingWindow is null ? FullAttention : SlidingAttention;
        }
        if (LayerTypes is { } types)
        {
            return types[layer];
        }
        return ModelType switch
        {
            "qwen2" or "qwen3" or "smollm3" => EffectiveSlidingWindow is not null && layer >= (MaxWindowLayers ?? 28) ? SlidingAttention : FullAttention,
            "gemma2" => layer % 2 == 0 ? SlidingAttention : FullAttention,
            "gemma3_text" => (layer + 1) % (SlidingWindowPattern ?? 6) != 0 ? SlidingAttention : FullAttention,
            _ => FullAttention,
        };
    }

    /// <summary>The sliding window of <paramref name="layer"/>, or null when it attends to every earlier token.</summary>
    /// <param name="layer">The layer index, from 0.</param>
    public int? SlidingWindowOf(int layer) =>
        LayerTypeOf(layer) == SlidingAttention ? EffectiveSlidingWindow : null;

    /// <summary>The rotary base and scaling of <paramref name="layer"/>: the local settings on sliding layers when
    /// the model has them (Gemma 3, per-layer-type <c>rope_parameters</c>), else <see cref="RopeTheta"/> and
    /// <see cref="RopeScaling"/>.</summary>
    /// <param name="layer">The layer index, from 0.</param>
    public (double Theta, RopeScaling? Scaling) RotaryOf(int layer)
    {
        var local = RopeLocalBaseFreq ?? (IsGemma3Text ? 10000.0 : null);
        return local is { } theta && LayerTypeOf(layer) == SlidingAttention ? (theta, LocalRopeScaling) : (RopeTheta, RopeScaling);
    }

    /// <summary>The factor attention scores are multiplied by: <see cref="QueryPreAttnScalar"/>^-1/2, or head_dim^-1/2.</summary>
    public double AttentionScale => 1.0 / Math.Sqrt(QueryPreAttnScalar ?? HeadDimension);

    private void ValidateAttentionLayout(Action<string, string> fail)
    {
        if (SlidingWindow is <= 0) fail("sliding_window", $"must be positive (got {SlidingWindow})");
        if (MaxWindowLayers is < 0) fail("max_window_layers", $"must not be negative (got {MaxWindowLayers})");
        if (SlidingWindowPattern is <= 0) fail("sliding_window_pattern", $"must be positive (got {SlidingWindowPattern})");
        if (LayerTypes is { } types)
        {
            if (types.Count != NumHiddenLayers)
            {
                fail("layer_types", $"has {types.Count} entries but num_hidden_layers is {NumHiddenLayers}");
            }
            for (var i = 0; i < types.Count; i++)
            {
                if (types[i] is not (FullAttention or SlidingAttention))
                {
                    fail($"layer_types[{i}]", $"is '{types[i]}'; supported kinds are {FullAttention} and {SlidingAttention}");
                }
            }
        }
        if (QueryPreAttnScalar is { } scalar && !(scalar > 0)) fail("query_pre_attn_scalar", $"must be positive (got {scalar})");
        if (AttnLogitSoftcapping is { } attnCap && !(attnCap > 0)) fail("attn_logit_softcapping", $"must be positive or null (got {attnCap})");
        if (FinalLogitSoftcapping is { } finalCap && !(finalCap > 0)) fail("final_logit_softcapping", $"must be positive or null (got {finalCap})");
        if (IsGemma && HiddenActivation is not (null or "gelu_pytorch_tanh"))
        {
            fail("hidden_activation", $"is '{HiddenActivation}'; Gemma models are supported with gelu_pytorch_tanh only");
        }
        if (RopeLocalBaseFreq is { } local && !(local > 0)) fail("rope_local_base_freq", $"must be positive (got {local})");
        if (LocalRopeScaling is { } scaling)
        {
            if (scaling.RopeType is not (RopeScaling.Linear or RopeScaling.Llama3))
            {
                fail("rope_parameters.sliding_attention.rope_type", $"is '{scaling.RopeType}'; supported kinds are linear and llama3");
            }
            if (!(scaling.Factor > 0)) fail("rope_parameters.sliding_attention.factor", $"must be positive (got {scaling.Factor})");
        }
    }
}
