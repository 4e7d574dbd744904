using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>Deliberate mistakes the reference can make, to show that the parity tests would catch each one.</summary>
[Flags]
public enum ReferenceGemmaBug
{
    None = 0,

    /// <summary>Gemma norm multiplies by <c>w</c> instead of <c>1 + w</c>.</summary>
    NormWithoutOne = 1,

    /// <summary>Embeddings are not multiplied by sqrt(hidden_size).</summary>
    NoEmbeddingScale = 2,

    /// <summary>Attention scores are not soft-capped.</summary>
    NoAttentionSoftcap = 4,

    /// <summary>Final logits are not soft-capped.</summary>
    NoFinalSoftcap = 8,

    /// <summary>Sliding layers attend to every earlier token.</summary>
    NoSlidingWindow = 16,

    /// <summary>The window admits keys with <c>i - j &lt;= window</c> (one too many).</summary>
    WindowOneTooWide = 32,

    /// <summary>Sliding layers rotate with the global base and scaling.</summary>
    GlobalRopeOnLocalLayers = 64,

    /// <summary>Queries and keys skip Gemma 3's per-head norms.</summary>
    NoQkNorm = 128,

    /// <summary>Scores are scaled by head_dim^-1/2 instead of query_pre_attn_scalar^-1/2.</summary>
    HeadDimScale = 256,
}

/// <summary>
/// An independent, loop-by-loop double-precision forward of Llama-family models with sliding windows and of Gemma 2 /
/// Gemma 3 text, written from the Hugging Face transformers sources (modeling_gemma2.py, modeling_gemma3.py,
/// masking_utils.py's sliding_window_overlay, the Mistral/Qwen2/Gemma configurations' layer patterns; read at
/// huggingface/transformers commits 00c4411c (masking_utils.py), 008e5743 (configuration_gemma2.py) and d903f323
/// (modular_gemma3.py)). It reads only the model's configuration fields and weights: the layer layout, windows and
/// rotary bases are derived here, not taken from the production code. One sequence, no padding.
/// </summary>
internal static class ReferenceGemma
{
    public static double[,] Logits(LlamaForCausalLM model, long[] ids, ReferenceGemmaBug bugs = ReferenceGemmaBug.None)
    {
        var c = model.Config;
        var gemma = c.ModelType is "gemma2" or "gemma3_text";
        var gemma3 = c.ModelType == "gemma3_text";
        var w = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.to(ScalarType.Float64).data<double>().ToArray());
        int hidden = c.HiddenSize, heads = c.NumAttentionHeads, kvHeads = c.NumKeyValueHeads ?? heads;
        int d = c.HeadDim ?? hidden / heads, t = ids.Length;

        double[] Normalize(double[] x, double[] weight)
        {
            if (!gemma) return ReferenceLlama.Norm(x, weight, c.RmsNormEps);
            var rms = 1 / Math.Sqrt(x.Sum(e => e * e) / x.Length + c.RmsNormEps);
            var one = bugs.HasFlag(ReferenceGemmaBug.NormWithoutOne) ? 0.0 : 1.0;
            return x.Select((e, i) => e * rms * (one + weight[i])).ToArray();
        }

        // Gemma's normalizer is sqrt(hidden) as a tensor of the hidden dtype (float32 here).
        var embedScale = gemma && !bugs.HasFlag(ReferenceGemmaBug.NoEmbeddingScale) ? (double)(float)Math.Sqrt(hidden) : 1.0;
        var x = new double[t][];
        for (var i = 0; i < t; i++)
        {
            x[i] = w["model.embed_tokens.weight"].AsSpan((int)ids[i] * hidden, hidden).ToArray().Select(e => e * embedScale).ToArray();
        }
        for (var layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            var p = $"model.layers.{layer}.";
            var sliding = IsSliding(c, layer);
            var window = bugs.HasFlag(ReferenceGemmaBug.NoSlidingWindow) ? null : Window(c, layer);
            var localRope = sliding && !bugs.HasFlag(ReferenceGemmaBug.GlobalRopeOnLocalLayers) && (gemma3 || c.RopeLocalBaseFreq is not null);
            var inverse = localRope
                ? InverseFrequencies(d, c.RopeLocalBaseFreq ?? 10000.0, c.LocalRopeScaling)
                : InverseFrequencies(d, c.RopeTheta, c.RopeScaling);

            var normed = x.Select(row => Normalize(row, w[p + "input_layernorm.weight"])).ToArray();
            var q = normed.Select(r => Linear(r, w[p + "self_attn.q_proj.weight"], w.GetValueOrDefault(p + "self_attn.q_proj.bias"))).ToArray();
            var k = normed.Select(r => Linear(r, w[p + "self_attn.k_proj.weight"], w.GetValueOrDefault(p + "self_attn.k_proj.bias"))).ToArray();
            var v = normed.Select(r => Linear(r, w[p + "self_attn.v_proj.weight"], w.GetValueOrDefault(p + "self_attn.v_proj.bias"))).ToArray();
            if (gemma3 && !bugs.HasFlag(ReferenceGemmaBug.NoQkNorm))
            {
                for (var pos = 0; pos < t; pos++)
                {
                    q[pos] = PerHead(q[pos], heads, d, head => Normalize(head, w[p + "self_attn.q_norm.weight"]));
                    k[pos] = PerHead(k[pos], kvHeads, d, head => Normalize(head, w[p + "self_attn.k_norm.weight"]));
                }
            }
            for (var pos = 0; pos < t; pos++)
            {
                ReferenceLlama.Rotate(q[pos], heads, d, pos, inverse);
                ReferenceLlama.Rotate(k[pos], kvHeads, d, pos, inverse);
            }
            var scale = gemma && !bugs.HasFlag(ReferenceGemmaBug.HeadDimScale) ? 1 / Math.Sqrt(c.QueryPreAttnScalar ?? d) : 1 / Math.Sqrt(d);
            var cap = bugs.HasFlag(ReferenceGemmaBug.NoAttentionSoftcap) ? null : c.AttnLogitSoftcapping;
            var attended = new double[t][];
            for (var i = 0; i < t; i++)
            {
                attended[i] = new double[heads * d];
                for (var h = 0; h < heads; h++)
                {
                    var kvh = h / (heads / kvHeads);
                    var scores = new double[i + 1];
                    var visible = new bool[i + 1];
                    for (var j = 0; j <= i; j++)
                    {
                        // masking_utils.sliding_window_overlay: kv_idx > q_idx - sliding_window.
                        visible[j] = window is not { } size || (bugs.HasFlag(ReferenceGemmaBug.WindowOneTooWide) ? i - j <= size : i - j < size);
                        for (var e = 0; e < d; e++) scores[j] += q[i][h * d + e] * k[j][kvh * d + e];
                        scores[j] *= scale;
                        if (cap is { } softcap) scores[j] = Math.Tanh(scores[j] / softcap) * softcap;
                    }
                    var max = scores.Where((_, j) => visible[j]).Max();
                    var weights = scores.Select((s, j) => visible[j] ? Math.Exp(s - max) : 0).ToArray();
                    var sum = weights.Sum();
                    for (var j = 0; j <= i; j++)
                        for (var e = 0; e < d; e++) attended[i][h * d + e] += weights[j] / sum * v[j][kvh * d + e];
                }
                var o = Linear(attended[i], w[p + "self_attn.o_proj.weight"], w.GetValueOrDefault(p + "self_attn.o_proj.bias"));
                if (gemma) o = Normalize(o, w[p + "post_attention_layernorm.weight"]);
                for (var e = 0; e < hidden; e++) x[i][e] += o[e];
            }
            for (var i = 0; i < t; i++)
            {
                var n = Normalize(x[i], w[gemma ? p + "pre_feedforward_layernorm.weight" : p + "post_attention_layernorm.weight"]);
                var gate = Linear(n, w[p + "mlp.gate_proj.weight"], null);
                var up = Linear(n, w[p + "mlp.up_proj.weight"], null);
                var product = gate.Select((g, e) => (gemma ? GeluTanh(g) : g / (1 + Math.Exp(-g))) * up[e]).ToArray();
                var down = Linear(product, w[p + "mlp.down_proj.weight"], null);
                if (gemma) down = Normalize(down, w[p + "post_feedforward_layernorm.weight"]);
                for (var e = 0; e < hidden; e++) x[i][e] += down[e];
            }
        }
        var head = w.GetValueOrDefault("lm_head.weight") ?? w["model.embed_tokens.weight"];
        var finalCap = bugs.HasFlag(ReferenceGemmaBug.NoFinalSoftcap) ? null : c.FinalLogitSoftcapping;
        var logits = new double[t, c.VocabSize];
        for (var i = 0; i < t; i++)
        {
            var row = Linear(Normalize(x[i], w["model.norm.weight"]), head, null);
            for (var e = 0; e < c.VocabSize; e++) logits[i, e] = finalCap is { } softcap ? Math.Tanh(row[e] / softcap) * softcap : row[e];
        }
        return logits;
    }

    /// <summary>Whether the layer is of the sliding kind, by each family's configuration rules.</summary>
    public static bool IsSliding(LlamaConfig c, int layer)
    {
        if (c.ModelType == "mistral") return c.SlidingWindow is not null; // MistralConfig ignores layer_types
        if (c.LayerTypes is { } types) return types[layer] == "sliding_attention";
        return c.ModelType switch
        {
            "qwen2" => c.UseSlidingWindow == true && c.SlidingWindow is not null && layer >= (c.MaxWindowLayers ?? 28),
            "gemma2" => (layer + 1) % 2 != 0,
            "gemma3_text" => (layer + 1) % (c.SlidingWindowPattern ?? 6) != 0,
            _ => false,
        };
    }

    /// <summary>The window of the layer: Llama has none, Qwen2 only with use_sliding_window.</summary>
    public static int? Window(LlamaConfig c, int layer)
    {
        if (!IsSliding(c, layer) || c.ModelType == "llama" || (c.ModelType == "qwen2" && c.UseSlidingWindow != true)) return null;
        return c.SlidingWindow;
    }

    public static double[] InverseFrequencies(int dim, double theta, RopeScaling? scaling)
    {
        var inverse = new double[dim / 2];
        for (var i = 0; i < inverse.Length; i++)
        {
            inverse[i] = 1.0 / Math.Pow(theta, 2.0 * i / dim);
            if (scaling is { RopeType: RopeScaling.Linear } linear) inverse[i] /= linear.Factor;
            else if (scaling is not null) throw new NotSupportedException($"reference: rope type {scaling.RopeType}");
        }
        return inverse;
    }

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static double[] PerHead(double[] x, int heads, int d, Func<double[], double[]> f)
    {
        var result = new double[x.Length];
        for (var h = 0; h < heads; h++) f(x.AsSpan(h * d, d).ToArray()).CopyTo(result, h * d);
        return result;
    }

    private static double[] Linear(double[] x, double[] weight, double[]? bias)
    {
        var outputs = weight.Length / x.Length;
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = bias?[o] ?? 0;
            for (var i = 0; i < x.Length; i++) sum += weight[o * x.Length + i] * x[i];
            y[o] = sum;
        }
        return y;
    }
}
