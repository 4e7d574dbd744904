using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>Right-padded model inputs with next-token targets and their loss mask. Right padding needs no attention
/// mask: under causal attention a real token never sees the padding after it, and padded positions carry no loss.</summary>
internal static class SequenceBatch
{
    /// <summary>Inputs [B, T-1] (tokens 0..T-2), targets [B, T-1] (tokens 1..T-1) and mask [B, T-1], on the device.</summary>
    public static (Tensor Inputs, Tensor Targets, Tensor Mask) Collate(IReadOnlyList<TrainingSequence> rows, Device device)
    {
        int width = rows.Max(r => r.Length);
        var ids = new long[rows.Count * width];
        var mask = new bool[rows.Count * width];
        for (int row = 0; row < rows.Count; row++)
        {
            for (int i = 0; i < rows[row].Length; i++)
            {
                ids[row * width + i] = rows[row].Ids[i];
                mask[row * width + i] = rows[row].LossMask[i];
            }
        }
        using var allIds = tensor(ids, [rows.Count, width], ScalarType.Int64);
        using var allMask = tensor(mask, [rows.Count, width]);
        using var inputs = allIds[.., ..^1];
        using var targets = allIds[.., 1..];
        using var targetMask = allMask[.., 1..];
        return (inputs.to(device, copy: true), targets.to(device, copy: true), targetMask.to(device, copy: true));
    }

    public static long TrainedTargets(IEnumerable<TrainingSequence> rows) => rows.Sum(r => (long)r.TrainedTokens);

    /// <summary>Per-sequence sums of trained-token log-probs [B] (float32), recording gradients unless the caller disabled them.</summary>
    public static Tensor SequenceLogProbs(LlamaForCausalLM model, IReadOnlyList<TrainingSequence> rows, LanguageModelLossOptions lossOptions)
    {
        using var scope = NewDisposeScope();
        var (inputs, targets, mask) = Collate(rows, model.Device);
        var hidden = model.ForwardHidden(inputs);
        var logProbs = LanguageModelLoss.SequenceLogProbs(
            hidden, model.LmHeadWeight, targets, mask, lossOptions.WithLogitSoftcapping(model.Config.FinalLogitSoftcapping));
        return logProbs.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Log-probs without gradients, in batches of <paramref name="batchSize"/> rows.</summary>
    public static float[] SequenceLogProbsNoGrad(LlamaForCausalLM model, IReadOnlyList<TrainingSequence> rows, LanguageModelLossOptions lossOptions, int batchSize)
    {
        var result = new List<float>(rows.Count);
        using var noGrad = no_grad();
        foreach (var chunk in rows.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var logProbs = SequenceLogProbs(model, chunk, lossOptions);
            result.AddRange(logProbs.data<float>().ToArray());
        }
        return [.. result];
    }
}
