namespace Srt.TorchSharp.Training;

/// <summary>
/// Which parameters AdamW's weight decay applies to. Hugging Face's Trainer (<c>get_decay_parameter_names</c>) leaves
/// out biases and the weights of normalization layers: decaying a norm's gain toward 0 or a bias toward 0 only fights
/// the data, and their few values do not overfit. Names are Hugging Face's (<c>model.layers.0.input_layernorm.weight</c>,
/// <c>model.norm.weight</c>, <c>self_attn.q_norm.weight</c>, <c>q_proj.bias</c>).
/// </summary>
internal static class WeightDecayRules
{
    /// <summary>Whether the parameter named <paramref name="name"/> gets weight decay.</summary>
    public static bool Decays(string name, bool excludeBiasAndNorm)
    {
        if (!excludeBiasAndNorm)
        {
            return true;
        }
        var parts = name.Split('.');
        if (parts[^1] == "bias")
        {
            return false;
        }
        // The module that owns the parameter: "norm", "input_layernorm", "q_norm", "ln_f", "layer_norm", "rmsnorm".
        var owner = parts.Length >= 2 ? parts[^2].ToLowerInvariant() : string.Empty;
        return !(owner == "norm" || owner.EndsWith("_norm", StringComparison.Ordinal) || owner.Contains("layernorm", StringComparison.Ordinal)
            || owner.Contains("rmsnorm", StringComparison.Ordinal) || owner.StartsWith("ln_", StringComparison.Ordinal));
    }
}
