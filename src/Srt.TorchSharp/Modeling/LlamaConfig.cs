using System.Text.Json.Nodes;

namespace Srt.TorchSharp.Modeling;

/// <summary>
/// The architecture of a Llama-family causal language model (Llama 2/3, Tulu 2, Mistral, Qwen2, TinyLlama, SmolLM) or
/// of its relatives Qwen3, OLMo 2, SmolLM3, Phi-3, Gemma 2 and Gemma 3 (text), as read from a Hugging Face
/// <c>config.json</c>. Property names follow the JSON fields they come from.
/// </summary>
/// <remarks>
/// Sliding-window attention is applied as Hugging Face applies it: on every layer for Mistral's <c>sliding_window</c>,
/// from <c>max_window_layers</c> on for Qwen2 with <c>use_sliding_window</c>, on the layers <c>layer_types</c> marks
/// <c>sliding_attention</c> (Gemma 2 alternates, Gemma 3 keeps every sixth layer global). A query at position i sees
/// key j on a sliding layer when <c>i - j &lt; sliding_window</c>. Each layer rotates with its own rotary settings
/// (<see cref="RotaryOf"/>): Gemma 3's <c>rope_local_base_freq</c> or transformers 5's per-layer-type
/// <c>rope_parameters</c> on sliding layers.
/// </remarks>
public sealed partial record LlamaConfig
{
    /// <summary>The <c>model_type</c>: one of <see cref="SupportedModelTypes"/> (docs/models.md says what each covers).</summary>
    /// <value>The default is <c>"llama"</c>.</value>
    public string ModelType { get; init; } = "llama";

    /// <summary><c>vocab_size</c>: rows of the embedding and of the output projection.</summary>
    public required int VocabSize { get; init; }

    /// <summary><c>hidden_size</c>: the residual stream width.</summary>
    public required int HiddenSize { get; init; }

    /// <summary><c>intermediate_size</c>: the SwiGLU MLP width.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary><c>num_hidden_layers</c>: decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary><c>num_attention_heads</c>: query heads.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary><c>num_key_value_heads</c>: key/value heads (grouped-query attention when fewer than the query heads).</summary>
    /// <value>The default (null in the file) is <see cref="NumAttentionHeads"/>.</value>
    public int? NumKeyValueHeads { get; init; }

    /// <summary><c>head_dim</c>: width of one head.</summary>
    /// <value>The default (null in the file) is <see cref="HiddenSize"/> / <see cref="NumAttentionHeads"/>.</value>
    public int? HeadDim { get; init; }

    /// <summary><c>rms_norm_eps</c>.</summary>
    /// <value>The default is 1e-6.</value>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary><c>rope_theta</c> (or <c>rope_parameters.rope_theta</c>): the rotary base.</summary>
    /// <value>The default is 10000.</value>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary><c>rope_scaling</c> (or transformers 5's <c>rope_parameters</c>), or null for plain rotary embeddings.</summary>
    /// <value>The default is null.</value>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary><c>max_position_embeddings</c>: the context length the model was configured for.</summary>
    /// <value>The default is 2048.</value>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary><c>tie_word_embeddings</c>: the output projection shares the embedding matrix (no <c>lm_head.weight</c>).</summary>
    /// <value>The default is false.</value>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>
    /// <c>attention_bias</c>: biases on the attention projections. For Llama this means q, k, v and o; Qwen2 files
    /// omit the field and always have q/k/v biases without an o bias (see <see cref="HasQkvBias"/>).
    /// </summary>
    /// <value>The default is false (true when <see cref="ModelType"/> is <c>qwen2</c> and the field is absent).</value>
    public bool AttentionBias { get; init; }

    /// <summary><c>mlp_bias</c>: biases on the MLP projections.</summary>
    /// <value>The default is false.</value>
    public bool MlpBias { get; init; }

    /// <summary><c>torch_dtype</c> (or <c>dtype</c>): the dtype the weights were saved in, e.g. <c>"bfloat16"</c>.</summary>
    /// <value>The default is null.</value>
    public string? TorchDtype { get; init; }

    /// <summary><c>bos_token_id</c>.</summary>
    /// <value>The default is null.</value>
    public int? BosTokenId { get; init; }

    /// <summary><c>eos_token_id</c>, which files give as one id or a list.</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary><c>pad_token_id</c>.</summary>
    /// <value>The default is null.</value>
    public int? PadTokenId { get; init; }

    /// <summary><c>hidden_act</c>: the MLP activation. Only <c>silu</c> (SwiGLU) is implemented; others are refused.</summary>
    /// <value>The default is <c>"silu"</c>.</value>
    public string HiddenAct { get; init; } = "silu";

    /// <summary><c>partial_rotary_factor</c> (Phi-3 family, e.g. Phi-4-mini's 0.75): the fraction of each head's
    /// dimensions that rotary embeddings rotate; the rest pass through unrotated.</summary>
    /// <value>The default is 1 (every dimension rotates).</value>
    public double PartialRotaryFactor { get; init; } = 1.0;

    /// <summary>SmolLM3's <c>no_rope_layers</c>: one entry per layer (at least), non-zero where the layer applies
    /// rotary embeddings and 0 where it is a NoPE layer (the name is transformers', the meaning is "uses rope").</summary>
    /// <value>The default (null in the file) is derived from <see cref="NoRopeLayerInterval"/>.</value>
    public IReadOnlyList<int>? NoRopeLayers { get; init; }

    /// <summary>SmolLM3's <c>no_rope_layer_interval</c>: without <see cref="NoRopeLayers"/>, every this-many-th layer
    /// (layer indices 3, 7, … for 4) skips rotary embeddings.</summary>
    /// <value>The default is 4 (transformers' default).</value>
    public int NoRopeLayerInterval { get; init; } = 4;

    /// <summary>Whether config.json carries rope settings as transformers 5's <c>rope_parameters</c> (kept on save).</summary>
    internal bool WritesRopeParameters { get; init; }

    /// <summary>Fields of the file this class does not model, kept so that saving writes them back unchanged.</summary>
    internal JsonObject? ExtraFields { get; init; }

    /// <summary>Key/value heads, resolved.</summary>
    public int KeyValueHeadCount => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>Width of one head, resolved.</summary>
    public int HeadDimension => HeadDim ?? HiddenSize / NumAttentionHeads;

    /// <summary>Whether q_proj, k_proj and v_proj carry biases (Qwen2, or Llama with <c>attention_bias</c>).</summary>
    public bool HasQkvBias => AttentionBias;

    /// <summary>Whether o_proj carries a bias (Llama with <c>attention_bias</c>; never Qwen2).</summary>
    public bool HasOutputProjectionBias => AttentionBias && !IsQwen2;

    internal bool IsQwen2 => string.Equals(ModelType, "qwen2", StringComparison.Ordinal);

    /// <summary>The <c>model_type</c> values this library loads, in the order its documentation lists them.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "qwen2", "qwen3", "olmo2", "smollm3", "phi3", "gemma2", "gemma3_text"];

    /// <summary>Width of the rotated part of each head: <see cref="HeadDimension"/> × <see cref="PartialRotaryFactor"/>,
    /// truncated as transformers does (<c>int(head_dim * partial_rotary_factor)</c>).</summary>
    public int RotaryDimension => (int)(HeadDimension * PartialRotaryFactor);

    /// <summary>Whether the q/k/v projections are one fused <c>qkv_proj</c> and the MLP's gate and up one
    /// <c>gate_up_proj</c> (Phi-3).</summary>
    public bool HasFusedProjections => ModelType == "phi3";

    /// <summary>Whether the decoder layers are OLMo 2's: no input norm, a norm after each sublayer before the residual
    /// add, and q/k norms over the whole projection width.</summary>
    public bool IsPostNorm => ModelType == "olmo2";

    /// <summary>Whether attention normalises queries and keys per head before rotary (Qwen3's <c>q_norm</c>/<c>k_norm</c>).</summary>
    public bool HasPerHeadQkNorm => ModelType == "qwen3";

    /// <summary>Whether layer <paramref name="layerIndex"/> applies rotary embeddings (false on SmolLM3's NoPE layers).</summary>
    /// <param name="layerIndex">The zero-based layer index.</param>
    public bool UsesRotary(int layerIndex)
    {
        if (ModelType != "smollm3")
        {
            return true;
        }
        return NoRopeLayers is { } flags ? flags[layerIndex] != 0 : (layerIndex + 1) % NoRopeLayerInterval != 0;
    }

    /// <summary>Reads and validates a Hugging Face <c>config.json</c>.</summary>
    /// <param name="path">The file, or the model folder holding <c>config.json</c>.</param>
    /// <exception cref="InvalidDataException">The file is not valid JSON or a field is missing, mistyped or inconsistent; the message names the file and the field.</exception>
    public static LlamaConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, "config.json");
        }
        return LlamaConfigJson.Read(path);
    }

    /// <summary>Writes this configuration as a Hugging Face <c>config.json</c>, keeping fields it was read with.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, LlamaConfigJson.Write(this));
    }

    /// <summary>Checks that the fields are consistent.</summary>
    /// <param name="source">Where the configuration came from, for the error message.</param>
    /// <exception cref="InvalidDataException">A field is out of range or inconsistent with another.</exception>
    public void Validate(string source = "config")
    {
        void Fail(string field, string problem) =>
            throw new InvalidDataException($"{source}: field '{field}' {problem}.");

        if (!SupportedModelTypes.Contains(ModelType))
        {
            Fail("model_type", $"is '{ModelType}'; supported types are {string.Join(", ", SupportedModelTypes)}");
        }
        if (VocabSize <= 0) Fail("vocab_size", $"must be positive (got {VocabSize})");
        if (HiddenSize <= 0) Fail("hidden_size", $"must be positive (got {HiddenSize})");
        if (IntermediateSize <= 0) Fail("intermediate_size", $"must be positive (got {IntermediateSize})");
        if (NumHiddenLayers <= 0) Fail("num_hidden_layers", $"must be positive (got {NumHiddenLayers})");
        if (NumAttentionHeads <= 0) Fail("num_attention_heads", $"must be positive (got {NumAttentionHeads})");
        if (NumKeyValueHeads is <= 0) Fail("num_key_value_heads", $"must be positive (got {NumKeyValueHeads})");
        if (NumAttentionHeads % KeyValueHeadCount != 0)
        {
            Fail("num_attention_heads", $"({NumAttentionHeads}) must be divisible by num_key_value_heads ({KeyValueHeadCount})");
        }
        if (HeadDim is null && HiddenSize % NumAttentionHeads != 0)
        {
            Fail("hidden_size", $"({HiddenSize}) must be divisible by num_attention_heads ({NumAttentionHeads}) when head_dim is absent");
        }
        if (HeadDim is <= 0) Fail("head_dim", $"must be positive (got {HeadDim})");
        if (HeadDimension % 2 != 0) Fail("head_dim", $"must be even for rotary embeddings (got {HeadDimension})");
        LlamaConfigFamilyRules.Validate(this, Fail);
        if (!(RmsNormEps > 0)) Fail("rms_norm_eps", $"must be positive (got {RmsNormEps})");
        if (!(RopeTheta > 0)) Fail("rope_theta", $"must be positive (got {RopeTheta})");
        if (MaxPositionEmbeddings <= 0) Fail("max_position_embeddings", $"must be positive (got {MaxPositionEmbeddings})");
        ValidateAttentionLayout(Fail);
        if (RopeScaling is { } scaling)
        {
            if (scaling.RopeType is not (RopeScaling.Linear or RopeScaling.Llama3))
            {
                Fail("rope_scaling.rope_type", $"is '{scaling.RopeType}'; supported kinds are linear and llama3");
            }
            if (!(scaling.Factor > 0)) Fail("rope_scaling.factor", $"must be positive (got {scaling.Factor})");
            if (scaling.RopeType == RopeScaling.Llama3)
            {
                if (!(scaling.LowFreqFactor > 0)) Fail("rope_scaling.low_freq_factor", $"must be positive (got {scaling.LowFreqFactor})");
                if (!(scaling.HighFreqFactor > scaling.LowFreqFactor))
                {
                    Fail("rope_scaling.high_freq_factor", $"({scaling.HighFreqFactor}) must exceed low_freq_factor ({scaling.LowFreqFactor})");
                }
                if (scaling.OriginalMaxPositionEmbeddings <= 0)
                {
                    Fail("rope_scaling.original_max_position_embeddings", $"must be positive (got {scaling.OriginalMaxPositionEmbeddings})");
                }
            }
        }
    }
}
