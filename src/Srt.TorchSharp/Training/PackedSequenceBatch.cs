using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Modeling.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// Sequences packed back to back into rows, as model inputs with next-token targets and their loss mask. A sequence
/// of L tokens puts its first L-1 tokens in (positions 0..L-2) and predicts its last L-1, exactly as its own padded
/// row would: no target crosses into the next sequence. Rows are right-padded to the longest (padding takes sequence
/// id -1, position 0, no loss).
/// </summary>
internal sealed class PackedSequenceBatch : IDisposable
{
    private PackedSequenceBatch(Tensor inputs, Tensor positions, Tensor sequenceIds, Tensor targets, Tensor mask,
        PackedSegments segments, (int Row, int Start)[] placement, int width)
    {
        (Inputs, Positions, SequenceIds, Targets, Mask, Segments, Placement, Width) =
            (inputs, positions, sequenceIds, targets, mask, segments, placement, width);
    }

    /// <summary>Token ids [R, W].</summary>
    public Tensor Inputs { get; }

    /// <summary>Positions [R, W], restarting at 0 at each sequence.</summary>
    public Tensor Positions { get; }

    /// <summary>Sequence ids [R, W]: the index of the sequence in the packed list, -1 for padding.</summary>
    public Tensor SequenceIds { get; }

    /// <summary>Next-token targets [R, W].</summary>
    public Tensor Targets { get; }

    /// <summary>Loss mask [R, W].</summary>
    public Tensor Mask { get; }

    /// <summary>The same layout on the host.</summary>
    public PackedSegments Segments { get; }

    /// <summary>Per sequence (in the order given): its row and first column.</summary>
    public IReadOnlyList<(int Row, int Start)> Placement { get; }

    /// <summary>Tokens per row after padding.</summary>
    public int Width { get; }

    /// <summary>Packs <paramref name="sequences"/> into rows of at most <paramref name="rowTokens"/> input tokens.</summary>
    public static PackedSequenceBatch Collate(IReadOnlyList<TrainingSequence> sequences, int rowTokens, Device device)
    {
        var inputLengths = sequences.Select(s => s.Length - 1).ToArray();
        var rows = SequencePacker.Pack(inputLengths, rowTokens);
        int width = rows.Max(r => r.Sum(i => inputLengths[i]));
        int cells = rows.Count * width;
        var ids = new long[cells];
        var positions = new long[cells];
        var sequenceIds = new long[cells];
        var targets = new long[cells];
        var mask = new bool[cells];
        Array.Fill(sequenceIds, -1L);
        var placement = new (int, int)[sequences.Count];
        var layout = new List<IReadOnlyList<(int, int)>>(rows.Count);
        for (int row = 0; row < rows.Count; row++)
        {
            var segments = new List<(int, int)>(rows[row].Length);
            int column = 0;
            foreach (int index in rows[row])
            {
                var sequence = sequences[index];
                int length = inputLengths[index];
                for (int i = 0; i < length; i++)
                {
                    int cell = row * width + column + i;
                    ids[cell] = sequence.Ids[i];
                    positions[cell] = i;
                    sequenceIds[cell] = index;
                    targets[cell] = sequence.Ids[i + 1];
                    mask[cell] = sequence.LossMask[i + 1];
                }
                placement[index] = (row, column);
                segments.Add((column, length));
                column += length;
            }
            layout.Add(segments);
        }
        long[] shape = [rows.Count, width];
        using var idsHost = tensor(ids, shape, ScalarType.Int64);
        using var positionsHost = tensor(positions, shape, ScalarType.Int64);
        using var sequencesHost = tensor(sequenceIds, shape, ScalarType.Int64);
        using var targetsHost = tensor(targets, shape, ScalarType.Int64);
        using var maskHost = tensor(mask, shape);
        return new PackedSequenceBatch(
            idsHost.to(device, copy: true), positionsHost.to(device, copy: true), sequencesHost.to(device, copy: true),
            targetsHost.to(device, copy: true), maskHost.to(device, copy: true), new PackedSegments(layout), placement, width);
    }

    /// <summary>Final hidden states [R, W, hidden] of the packed rows, recording gradients unless the caller disabled them.</summary>
    public Tensor ForwardHidden(LlamaForCausalLM model, PackingSettings settings) =>
        model.ForwardHiddenPacked(Inputs, Positions, SequenceIds, settings.PerSequenceAttention ? Segments : null);

    /// <summary>Per-sequence sums of trained-token log-probs [S] (float32), in the order the sequences were given.
    /// Each sequence's hidden states are gathered into a padded [S, L, hidden] view (a copy of hidden states only; the
    /// model pass stays packed) so the loss kernels see one sequence per row.</summary>
    public Tensor SequenceLogProbs(LlamaForCausalLM model, PackingSettings settings, IReadOnlyList<TrainingSequence> sequences, LanguageModelLossOptions lossOptions)
    {
        using var scope = NewDisposeScope();
        var hidden = ForwardHidden(model, settings);
        int longest = sequences.Max(s => s.Length - 1);
        var gather = new long[sequences.Count * longest];
        var valid = new bool[sequences.Count * longest];
        for (int s = 0; s < sequences.Count; s++)
        {
            var (row, start) = Placement[s];
            for (int i = 0; i < sequences[s].Length - 1; i++)
            {
                gather[s * longest + i] = (long)row * Width + start + i;
                valid[s * longest + i] = true;
            }
        }
        var device = hidden.device;
        var index = tensor(gather, ScalarType.Int64).to(device);
        var perSequence = hidden.reshape(-1, hidden.shape[2]).index_select(0, index).view(sequences.Count, longest, -1);
        var targets = Targets.reshape(-1).index_select(0, index).view(sequences.Count, longest);
        var mask = Mask.reshape(-1).index_select(0, index).view(sequences.Count, longest)
            .logical_and(tensor(valid, [sequences.Count, longest]).to(device));
        var logProbs = LanguageModelLoss.SequenceLogProbs(
            perSequence, model.LmHeadWeight, targets, mask, lossOptions.WithLogitSoftcapping(model.Config.FinalLogitSoftcapping));
        return logProbs.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Packs, runs and returns per-sequence log-probs without gradients, in packed micro-batches of
    /// <paramref name="batchSize"/> sequences.</summary>
    public static float[] SequenceLogProbsNoGrad(
        LlamaForCausalLM model, PackingSettings settings, IReadOnlyList<TrainingSequence> sequences, LanguageModelLossOptions lossOptions, int batchSize)
    {
        var result = new List<float>(sequences.Count);
        using var noGrad = no_grad();
        foreach (var chunk in sequences.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = Collate(chunk, settings.RowTokens, model.Device);
            using var logProbs = batch.SequenceLogProbs(model, settings, chunk, lossOptions);
            result.AddRange(logProbs.data<float>().ToArray());
        }
        return [.. result];
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Positions.Dispose();
        SequenceIds.Dispose();
        Targets.Dispose();
        Mask.Dispose();
    }
}
