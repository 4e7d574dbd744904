using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>
/// An independent, loop-by-loop double-precision Llama forward written from the Hugging Face formulas (no TorchSharp
/// ops), to check the module against: RMSNorm, rotary with HF's inv_freq (incl. llama3 and linear), GQA, biases,
/// SwiGLU, tied head. One sequence, no padding.
/// </summary>
internal static class ReferenceLlama
{
    /// <summary>HF's inv_freq formulas in double precision.</summary>
    public static double[] InverseFrequencies(LlamaConfig config)
    {
        var dim = config.HeadDimension;
        var inverse = new double[dim / 2];
        for (var i = 0; i < inverse.Length; i++)
        {
            inverse[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / dim);
            if (config.RopeScaling is { RopeType: RopeScaling.Linear } linear)
            {
                inverse[i] /= linear.Factor;
            }
            else if (config.RopeScaling is { RopeType: RopeScaling.Llama3 } s)
            {
                var wavelength = 2 * Math.PI / inverse[i];
                var lowWavelength = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
                var highWavelength = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                if (wavelength < highWavelength)
                {
                    // High frequency: unchanged.
                }
                else if (wavelength > lowWavelength)
                {
                    inverse[i] /= s.Factor;
                }
                else
                {
                    var smooth = (s.OriginalMaxPositionEmbeddings / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    inverse[i] = (1 - smooth) * inverse[i] / s.Factor + smooth * inverse[i];
                }
            }
        }
        return inverse;
    }

    public static double[,] Logits(LlamaForCausalLM model, long[] ids)
    {
        var c = model.Config;
        var w = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.to(ScalarType.Float64).data<double>().ToArray());
        int hidden = c.HiddenSize, heads = c.NumAttentionHeads, kvHeads = c.KeyValueHeadCount, d = c.HeadDimension, t = ids.Length;
        var inverse = InverseFrequencies(c);
        var x = new double[t][];
        for (var i = 0; i < t; i++)
        {
            x[i] = w["model.embed_tokens.weight"].AsSpan((int)ids[i] * hidden, hidden).ToArray();
        }
        for (var layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            var p = $"model.layers.{layer}.";
            var normed = x.Select(row => Norm(row, w[p + "input_layernorm.weight"], c.RmsNormEps)).ToArray();
            var q = normed.Select(r => Linear(r, w[p + "self_attn.q_proj.weight"], w.GetValueOrDefault(p + "self_attn.q_proj.bias"))).ToArray();
            var k = normed.Select(r => Linear(r, w[p + "self_attn.k_proj.weight"], w.GetValueOrDefault(p + "self_attn.k_proj.bias"))).ToArray();
            var v = normed.Select(r => Linear(r, w[p + "self_attn.v_proj.weight"], w.GetValueOrDefault(p + "self_attn.v_proj.bias"))).ToArray();
            for (var pos = 0; pos < t; pos++)
            {
                Rotate(q[pos], heads, d, pos, inverse);
                Rotate(k[pos], kvHeads, d, pos, inverse);
            }
            var attended = new double[t][];
            for (var i = 0; i < t; i++)
            {
                attended[i] = new double[heads * d];
                for (var h = 0; h < heads; h++)
                {
                    var kvh = h / (heads / kvHeads);
                    var scores = new double[i + 1];
                    for (var j = 0; j <= i; j++)
                    {
                        for (var e = 0; e < d; e++) scores[j] += q[i][h * d + e] * k[j][kvh * d + e];
                        scores[j] /= Math.Sqrt(d);
                    }
                    var max = scores.Max();
                    var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = weights.Sum();
                    for (var j = 0; j <= i; j++)
                        for (var e = 0; e < d; e++) attended[i][h * d + e] += weights[j] / sum * v[j][kvh * d + e];
                }
                var o = Linear(attended[i], w[p + "self_attn.o_proj.weight"], w.GetValueOrDefault(p + "self_attn.o_proj.bias"));
                for (var e = 0; e < hidden; e++) x[i][e] += o[e];
            }
            for (var i = 0; i < t; i++)
            {
                var n = Norm(x[i], w[p + "post_attention_layernorm.weight"], c.RmsNormEps);
                var gate = Linear(n, w[p + "mlp.gate_proj.weight"], null);
                var up = Linear(n, w[p + "mlp.up_proj.weight"], null);
                var product = gate.Select((g, e) => g / (1 + Math.Exp(-g)) * up[e]).ToArray();
                var down = Linear(product, w[p + "mlp.down_proj.weight"], null);
                for (var e = 0; e < hidden; e++) x[i][e] += down[e];
            }
        }
        var head = w.GetValueOrDefault("lm_head.weight") ?? w["model.embed_tokens.weight"];
        var logits = new double[t, c.VocabSize];
        for (var i = 0; i < t; i++)
        {
            var row = Linear(Norm(x[i], w["model.norm.weight"], c.RmsNormEps), head, null);
            for (var e = 0; e < c.VocabSize; e++) logits[i, e] = row[e];
        }
        return logits;
    }

    public static double[] Norm(double[] x, double[] weight, double eps)
    {
        var rms = 1 / Math.Sqrt(x.Sum(e => e * e) / x.Length + eps);
        return x.Select((e, i) => e * rms * weight[i]).ToArray();
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

    // HF rotate_half convention: pairs (i, i + d/2) rotate together.
    public static void Rotate(double[] x, int heads, int d, int position, double[] inverse)
    {
        for (var h = 0; h < heads; h++)
        {
            for (var i = 0; i < d / 2; i++)
            {
                var angle = position * inverse[i];
                var (a, b) = (x[h * d + i], x[h * d + i + d / 2]);
                x[h * d + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                x[h * d + i + d / 2] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        }
    }
}
