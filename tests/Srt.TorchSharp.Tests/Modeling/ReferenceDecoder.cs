using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>A deliberate mistake the reference can make, to show that the parity comparison catches it.</summary>
public enum PlantedBug
{
    None,

    /// <summary>Qwen3/OLMo 2: q_norm and k_norm not applied.</summary>
    SkipQueryKeyNorm,

    /// <summary>Qwen3: q_norm/k_norm applied after rotary instead of before.</summary>
    QueryKeyNormAfterRotary,

    /// <summary>OLMo 2: the layer's norms used pre-norm style (norm the sublayer input, not its output).</summary>
    PreNormInsteadOfPostNorm,

    /// <summary>Phi-3: qkv_proj split as q, v, k instead of q, k, v.</summary>
    SwapKeyValueSplit,

    /// <summary>Phi-3: gate_up_proj split as up, gate instead of gate, up.</summary>
    SwapGateUp,

    /// <summary>Phi-3: every dimension of the head rotated, ignoring partial_rotary_factor.</summary>
    FullRotaryInsteadOfPartial,

    /// <summary>SmolLM3: rotary applied on the NoPE layers too.</summary>
    RotaryOnNoRopeLayers,

    /// <summary>SmolLM3: no_rope_layers read the way its name suggests (1 = NoPE), the opposite of transformers.</summary>
    NoRopeFlagsInverted,
}

/// <summary>
/// An independent, loop-by-loop double-precision forward of the newer families (Qwen3, OLMo 2, SmolLM3, Phi-3), written
/// from transformers' modeling_qwen3.py, modeling_olmo2.py, modular_smollm3.py and modular_phi3.py (see
/// docs/models.md for the commit). It reads the weights by their Hugging Face names and the raw config fields, and
/// shares no code with the model it checks. One sequence, no padding. A <see cref="PlantedBug"/> switches on one mistake.
/// </summary>
internal static class ReferenceDecoder
{
    public static double[,] Logits(LlamaForCausalLM model, long[] ids, PlantedBug bug = PlantedBug.None)
    {
        var c = model.Config;
        var w = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.to(ScalarType.Float64).data<double>().ToArray());
        int hidden = c.HiddenSize, heads = c.NumAttentionHeads, kvHeads = c.NumKeyValueHeads ?? heads, t = ids.Length;
        var d = c.HeadDim ?? hidden / heads;
        var type = c.ModelType;
        var rotaryWidth = type == "phi3" && bug != PlantedBug.FullRotaryInsteadOfPartial ? (int)(d * c.PartialRotaryFactor) : d;
        var inverse = new double[rotaryWidth / 2];
        for (var i = 0; i < inverse.Length; i++)
        {
            inverse[i] = 1.0 / Math.Pow(c.RopeTheta, 2.0 * i / rotaryWidth);
        }
        var x = new double[t][];
        for (var i = 0; i < t; i++)
        {
            x[i] = w["model.embed_tokens.weight"].AsSpan((int)ids[i] * hidden, hidden).ToArray();
        }
        for (var layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            var p = $"model.layers.{layer}.";
            var postNorm = type == "olmo2" && bug != PlantedBug.PreNormInsteadOfPostNorm;
            var attentionNorm = type == "olmo2" ? p + "post_attention_layernorm.weight" : p + "input_layernorm.weight";
            var mlpNorm = type == "olmo2" ? p + "post_feedforward_layernorm.weight" : p + "post_attention_layernorm.weight";

            var input = postNorm ? x : x.Select(row => ReferenceLlama.Norm(row, w[attentionNorm], c.RmsNormEps)).ToArray();
            var attended = Attention(input, w, p, c, heads, kvHeads, d, inverse, UsesRotary(c, layer, bug), bug);
            for (var i = 0; i < t; i++)
            {
                var o = postNorm ? ReferenceLlama.Norm(attended[i], w[attentionNorm], c.RmsNormEps) : attended[i];
                for (var e = 0; e < hidden; e++) x[i][e] += o[e];
            }
            for (var i = 0; i < t; i++)
            {
                var n = postNorm ? x[i] : ReferenceLlama.Norm(x[i], w[mlpNorm], c.RmsNormEps);
                var down = Mlp(n, w, p, c, bug);
                var o = postNorm ? ReferenceLlama.Norm(down, w[mlpNorm], c.RmsNormEps) : down;
                for (var e = 0; e < hidden; e++) x[i][e] += o[e];
            }
        }
        var head = w.GetValueOrDefault("lm_head.weight") ?? w["model.embed_tokens.weight"];
        var logits = new double[t, c.VocabSize];
        for (var i = 0; i < t; i++)
        {
            var row = Linear(ReferenceLlama.Norm(x[i], w["model.norm.weight"], c.RmsNormEps), head, null);
            for (var e = 0; e < c.VocabSize; e++) logits[i, e] = row[e];
        }
        return logits;
    }

    /// <summary>Greedy continuation by full recomputation: append the argmax of the last position, <paramref name="count"/> times.</summary>
    public static long[] Greedy(LlamaForCausalLM model, long[] prompt, int count, PlantedBug bug = PlantedBug.None)
    {
        var ids = prompt.ToList();
        for (var step = 0; step < count; step++)
        {
            var logits = Logits(model, [.. ids], bug);
            var last = ids.Count - 1;
            var best = 0;
            for (var v = 1; v < model.Config.VocabSize; v++)
            {
                if (logits[last, v] > logits[last, best]) best = v;
            }
            ids.Add(best);
        }
        return [.. ids.Skip(prompt.Length)];
    }

    // SmolLM3Config: no_rope_layers[i] truthy means layer i uses rope; absent, layer i uses rope unless (i + 1) is a
    // multiple of no_rope_layer_interval.
    private static bool UsesRotary(LlamaConfig c, int layer, PlantedBug bug)
    {
        if (c.ModelType != "smollm3" || bug == PlantedBug.RotaryOnNoRopeLayers)
        {
            return true;
        }
        var usesRope = c.NoRopeLayers is { } flags ? flags[layer] != 0 : (layer + 1) % c.NoRopeLayerInterval != 0;
        return bug == PlantedBug.NoRopeFlagsInverted ? !usesRope : usesRope;
    }

    private static double[][] Attention(
        double[][] input, Dictionary<string, double[]> w, string p, LlamaConfig c, int heads, int kvHeads, int d,
        double[] inverse, bool rotary, PlantedBug bug)
    {
        var t = input.Length;
        var type = c.ModelType;
        double[][] q, k, v;
        if (type == "phi3")
        {
            var fused = input.Select(r => Linear(r, w[p + "self_attn.qkv_proj.weight"], null)).ToArray();
            int qWidth = heads * d, kvWidth = kvHeads * d;
            var (kOffset, vOffset) = bug == PlantedBug.SwapKeyValueSplit ? (qWidth + kvWidth, qWidth) : (qWidth, qWidth + kvWidth);
            q = fused.Select(r => r[..qWidth]).ToArray();
            k = fused.Select(r => r[kOffset..(kOffset + kvWidth)]).ToArray();
            v = fused.Select(r => r[vOffset..(vOffset + kvWidth)]).ToArray();
        }
        else
        {
            q = input.Select(r => Linear(r, w[p + "self_attn.q_proj.weight"], w.GetValueOrDefault(p + "self_attn.q_proj.bias"))).ToArray();
            k = input.Select(r => Linear(r, w[p + "self_attn.k_proj.weight"], w.GetValueOrDefault(p + "self_attn.k_proj.bias"))).ToArray();
            v = input.Select(r => Linear(r, w[p + "self_attn.v_proj.weight"], w.GetValueOrDefault(p + "self_attn.v_proj.bias"))).ToArray();
        }
        var normQueryKey = type is "qwen3" or "olmo2" && bug != PlantedBug.SkipQueryKeyNorm;
        if (normQueryKey && type == "olmo2")
        {
            // OLMo 2: one RMSNorm over the whole projection, before splitting into heads.
            q = q.Select(r => ReferenceLlama.Norm(r, w[p + "self_attn.q_norm.weight"], c.RmsNormEps)).ToArray();
            k = k.Select(r => ReferenceLlama.Norm(r, w[p + "self_attn.k_norm.weight"], c.RmsNormEps)).ToArray();
        }
        var perHeadNorm = normQueryKey && type == "qwen3";
        if (perHeadNorm && bug != PlantedBug.QueryKeyNormAfterRotary)
        {
            NormEachHead(q, heads, d, w[p + "self_attn.q_norm.weight"], c.RmsNormEps);
            NormEachHead(k, kvHeads, d, w[p + "self_attn.k_norm.weight"], c.RmsNormEps);
        }
        if (rotary)
        {
            for (var pos = 0; pos < t; pos++)
            {
                Rotate(q[pos], heads, d, pos, inverse);
                Rotate(k[pos], kvHeads, d, pos, inverse);
            }
        }
        if (perHeadNorm && bug == PlantedBug.QueryKeyNormAfterRotary)
        {
            NormEachHead(q, heads, d, w[p + "self_attn.q_norm.weight"], c.RmsNormEps);
            NormEachHead(k, kvHeads, d, w[p + "self_attn.k_norm.weight"], c.RmsNormEps);
        }
        var output = new double[t][];
        for (var i = 0; i < t; i++)
        {
            var attended = new double[heads * d];
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
                    for (var e = 0; e < d; e++) attended[h * d + e] += weights[j] / sum * v[j][kvh * d + e];
            }
            output[i] = Linear(attended, w[p + "self_attn.o_proj.weight"], w.GetValueOrDefault(p + "self_attn.o_proj.bias"));
        }
        return output;
    }

    private static double[] Mlp(double[] n, Dictionary<string, double[]> w, string p, LlamaConfig c, PlantedBug bug)
    {
        double[] gate, up;
        if (c.ModelType == "phi3")
        {
            var fused = Linear(n, w[p + "mlp.gate_up_proj.weight"], null);
            var half = fused.Length / 2;
            (gate, up) = bug == PlantedBug.SwapGateUp ? (fused[half..], fused[..half]) : (fused[..half], fused[half..]);
        }
        else
        {
            gate = Linear(n, w[p + "mlp.gate_proj.weight"], w.GetValueOrDefault(p + "mlp.gate_proj.bias"));
            up = Linear(n, w[p + "mlp.up_proj.weight"], w.GetValueOrDefault(p + "mlp.up_proj.bias"));
        }
        var product = gate.Select((g, e) => g / (1 + Math.Exp(-g)) * up[e]).ToArray();
        return Linear(product, w[p + "mlp.down_proj.weight"], w.GetValueOrDefault(p + "mlp.down_proj.bias"));
    }

    private static void NormEachHead(double[][] rows, int heads, int d, double[] weight, double eps)
    {
        foreach (var row in rows)
        {
            for (var h = 0; h < heads; h++)
            {
                ReferenceLlama.Norm(row[(h * d)..((h + 1) * d)], weight, eps).CopyTo(row, h * d);
            }
        }
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

    // Phi-3's apply_rotary_pos_emb: the first 2·len(inverse) features of each head rotate in rotate_half pairs
    // (i, i + r/2); the rest pass through. With a full-width table this is Llama's rotation.
    private static void Rotate(double[] x, int heads, int d, int position, double[] inverse)
    {
        var r = inverse.Length * 2;
        for (var h = 0; h < heads; h++)
        {
            for (var i = 0; i < r / 2; i++)
            {
                var angle = position * inverse[i];
                var (a, b) = (x[h * d + i], x[h * d + i + r / 2]);
                x[h * d + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                x[h * d + i + r / 2] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        }
    }
}
