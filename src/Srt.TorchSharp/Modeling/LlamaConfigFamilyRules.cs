namespace Srt.TorchSharp.Modeling;

/// <summary>
/// Checks of <see cref="LlamaConfig"/> fields that only some model types use, so that a field which would change the
/// math is either implemented for the type at hand or refused by name, never silently ignored.
/// </summary>
internal static class LlamaConfigFamilyRules
{
    // Families whose Hugging Face MLP and attention never carry the biases a stray mlp_bias/attention_bias would add.
    private static readonly string[] NoMlpBias = ["qwen3", "olmo2", "phi3"];

    public static void Validate(LlamaConfig config, Action<string, string> fail)
    {
        var type = config.ModelType;
        if (!config.IsGemma && config.HiddenAct != "silu")
        {
            // transformers picks ACT2FN[hidden_act]; only SiLU (SwiGLU) is implemented here, and computing another
            // activation as SiLU would give a different model without a word. Gemma's MLP takes hidden_activation
            // instead, which the attention-layout rules check.
            fail("hidden_act", $"is '{config.HiddenAct}'; only silu is implemented");
        }
        if (!(config.PartialRotaryFactor > 0 && config.PartialRotaryFactor <= 1))
        {
            fail("partial_rotary_factor", $"must be in (0, 1] (got {config.PartialRotaryFactor})");
        }
        if (config.PartialRotaryFactor != 1 && type != "phi3")
        {
            // Only Phi-3's attention rotates part of each head; Llama's would rotate the whole head regardless.
            fail("partial_rotary_factor", $"is {config.PartialRotaryFactor}; partial rotary is implemented for phi3 only (model_type is '{type}')");
        }
        if (config.RotaryDimension <= 0 || config.RotaryDimension % 2 != 0)
        {
            fail("partial_rotary_factor", $"gives a rotary width of {config.RotaryDimension} (head_dim {config.HeadDimension} × {config.PartialRotaryFactor}); it must be positive and even");
        }
        if (config.MlpBias && NoMlpBias.Contains(type))
        {
            fail("mlp_bias", $"is true, but {type}'s MLP has no biases in transformers");
        }
        if (type == "phi3")
        {
            if (config.AttentionBias)
            {
                fail("attention_bias", "is true, but phi3's qkv_proj and o_proj have no biases in transformers");
            }
            if (config.RopeScaling is { } scaling)
            {
                fail("rope_scaling.rope_type", $"is '{scaling.RopeType}'; phi3 supports only the default rotary embedding here (transformers accepts default and longrope)");
            }
        }
        if (type == "smollm3")
        {
            if (config.NoRopeLayerInterval <= 0)
            {
                fail("no_rope_layer_interval", $"must be positive (got {config.NoRopeLayerInterval})");
            }
            if (config.NoRopeLayers is { } flags && flags.Count < config.NumHiddenLayers)
            {
                fail("no_rope_layers", $"has {flags.Count} entries; it needs one per layer ({config.NumHiddenLayers})");
            }
        }
        else if (config.NoRopeLayers is not null)
        {
            fail("no_rope_layers", $"is set, but NoPE layers are implemented for smollm3 only (model_type is '{type}')");
        }
    }
}
