using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// The counts behind <see cref="TrainingMemoryPlan"/>: parameters from the config, and the tensors autograd keeps for
/// backward in this project's Llama layer (composed ops, as on the CPU), per token row.
/// </summary>
internal static class TrainingMemoryArithmetic
{
    /// <summary>All parameters of the model described by <paramref name="config"/>.</summary>
    public static long Parameters(LlamaConfig config)
    {
        long h = config.HiddenSize, i = config.IntermediateSize, v = config.VocabSize;
        long q = (long)config.NumAttentionHeads * config.HeadDimension, kv = (long)config.KeyValueHeadCount * config.HeadDimension;
        long attention = h * q + 2 * h * kv + q * h + (config.HasQkvBias ? q + 2 * kv : 0) + (config.HasOutputProjectionBias ? h : 0);
        long mlp = 3 * h * i + (config.MlpBias ? 2 * i + h : 0);
        long layer = attention + mlp + 2 * h;
        return v * h * (config.TieWordEmbeddings ? 1 : 2) + config.NumHiddenLayers * layer + h;
    }

    /// <summary>The (in, out) features of each projection LoRA may adapt, by its Hugging Face name.</summary>
    public static IEnumerable<(long In, long Out)> Projections(LlamaConfig config, IEnumerable<string> names)
    {
        long h = config.HiddenSize, i = config.IntermediateSize;
        long q = (long)config.NumAttentionHeads * config.HeadDimension, kv = (long)config.KeyValueHeadCount * config.HeadDimension;
        foreach (var name in names)
        {
            yield return name switch
            {
                "q_proj" => (h, q),
                "k_proj" or "v_proj" => (h, kv),
                "o_proj" => (q, h),
                "gate_proj" or "up_proj" => (h, i),
                "down_proj" => (i, h),
                // Phi-3's fused projections: q, k and v in one; gate and up in one.
                "qkv_proj" => (h, q + 2 * kv),
                "gate_up_proj" => (h, 2 * i),
                _ => throw new ArgumentException($"'{name}' is not a projection of a decoder layer."),
            };
        }
    }

    /// <summary>LoRA parameters (A and B of every adapted projection in every layer).</summary>
    public static long LoraParameters(LlamaConfig config, LoraOptions lora) =>
        config.NumHiddenLayers * Projections(config, lora.TargetModules).Sum(p => (long)lora.Rank * (p.In + p.Out));

    /// <summary>
    /// Bytes one layer keeps for backward per token row (model dtype of <paramref name="elementBytes"/>): its input, both
    /// norms' normalized values and outputs, the residual sum (6 × hidden); query and attention output, and the keys and
    /// values repeated to every query head for SDPA (4 × heads × head dim; the CPU's flash attention keeps only a
    /// log-sum-exp per head, no T × T matrix); gate, up, SiLU(gate) and their product (4 × intermediate). LoRA adds,
    /// per adapted projection, its float32 input copy when the model is not float32 and, with dropout, the dropped
    /// input and the dropout mask (float32, 2 × in).
    /// </summary>
    public static long LayerBytesPerToken(LlamaConfig config, int elementBytes, LoraOptions? lora)
    {
        long h = config.HiddenSize, i = config.IntermediateSize;
        long q = (long)config.NumAttentionHeads * config.HeadDimension;
        long bytes = (6 * h + 4 * q + 4 * i) * elementBytes + config.NumAttentionHeads * sizeof(float);
        if (lora is not null)
        {
            long perInput = (lora.Dropout > 0 ? 2 : 0) + (elementBytes != sizeof(float) ? 1 : 0);
            bytes += Projections(config, lora.TargetModules).Sum(p => p.In) * perInput * sizeof(float);
        }
        return bytes;
    }

    /// <summary>
    /// Bytes per token row that a layer with explicit attention keeps beyond <see cref="LayerBytesPerToken"/>: Gemma
    /// attends through matmul and softmax (for its soft-capping), so each query keeps a score row per head over all
    /// <paramref name="keys"/> columns: the soft-capped scores (model dtype), the float32 softmax and the probabilities
    /// cast back to the model dtype. Fused attention (every other family) keeps no such rows.
    /// </summary>
    public static long ExplicitAttentionBytesPerToken(LlamaConfig config, int elementBytes, long keys) =>
        config.IsGemma ? (long)config.NumAttentionHeads * keys * (sizeof(float) + 2L * elementBytes) : 0;

    /// <summary>
    /// Bytes per token row of what backward holds for one layer at a time beyond the saved tensors: the gradients
    /// flowing through the MLP (gate, up and product, 3 × intermediate) and the residual stream (2 × hidden).
    /// </summary>
    public static long BackwardWorkingBytesPerToken(LlamaConfig config, int elementBytes) =>
        (3L * config.IntermediateSize + 2L * config.HiddenSize) * elementBytes;

    /// <summary>
    /// The loss's memory for <paramref name="rows"/> token rows and its chunk rows: the fused path holds the hidden
    /// states' gradient, the float32 lm_head gradient accumulator (when lm_head trains) and two float32 chunks of
    /// logits; the plain path holds all logits in the model dtype plus float32 log-probs and their gradient.
    /// </summary>
    public static (long Bytes, long ChunkRows) Loss(
        LlamaConfig config, LossImplementation implementation, long rows, int elementBytes, bool lmHeadTrains, DeviceType device)
    {
        long h = config.HiddenSize, v = config.VocabSize;
        if (implementation == LossImplementation.Plain)
        {
            return (rows * v * (elementBytes + 2 * sizeof(float)) + rows * h * elementBytes, rows);
        }
        long chunk = new LanguageModelLossOptions().ResolveChunkRows(v, rows, device);
        long bytes = rows * h * elementBytes + (lmHeadTrains ? v * h * sizeof(float) : 0) + 2 * chunk * v * sizeof(float) + rows * sizeof(float);
        return (bytes, chunk);
    }

    public static int ElementBytes(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 8,
        ScalarType.Float32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => throw new ArgumentException($"Models train in float32, bfloat16 or float16, not {dtype}.", nameof(dtype)),
    };
}
