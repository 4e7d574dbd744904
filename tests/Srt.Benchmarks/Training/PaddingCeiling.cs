using Srt.TorchSharp.Training;

namespace Srt.Benchmarks.Training;

/// <summary>
/// The work of one epoch in length-bucketed padded rows against the work of its sequences alone: the ceiling on what
/// packing can gain by removing padding, for the trainer's own bucketed order (its default seed and bucket size).
/// Linear layers cost per token (<see cref="TokenRatio"/>); attention per token pair within a row (<see cref="AttentionRatio"/>).
/// </summary>
internal sealed record PaddingCeiling(long SequenceTokens, long PaddedTokens, double AttentionRatio)
{
    public double TokenRatio => (double)PaddedTokens / SequenceTokens;

    public static PaddingCeiling OfLengthBuckets(IReadOnlyList<int> lengths, int globalBatch, int microBatch)
    {
        var defaults = new SupervisedTrainerOptions();
        long padded = 0;
        double paddedPairs = 0;
        foreach (int[] batch in LengthBucketedBatches.ForEpoch(lengths, globalBatch, defaults.LengthBucketBatches, defaults.Seed, epoch: 0))
        {
            foreach (int[] micro in batch.Chunk(microBatch))
            {
                long longest = micro.Max(i => lengths[i]);
                padded += longest * micro.Length;
                paddedPairs += (double)longest * longest * micro.Length;
            }
        }

        double pairs = lengths.Sum(l => (double)l * l);
        return new PaddingCeiling(lengths.Sum(l => (long)l), padded, paddedPairs / pairs);
    }

    /// <summary>The model-input cells of one epoch's packed passes (rows of at most <paramref name="rowTokens"/> inputs,
    /// each pass's rows padded to its fullest), over the sequences' own input tokens.</summary>
    public static (long Cells, long Inputs) OfPackedRows(IReadOnlyList<int> lengths, int globalBatch, int microBatch, int rowTokens)
    {
        var defaults = new SupervisedTrainerOptions();
        long cells = 0, inputs = 0;
        foreach (int[] batch in ShuffledBatches.ForEpoch(lengths.Count, globalBatch, defaults.Seed, epoch: 0))
        {
            foreach (int[] micro in batch.Chunk(microBatch))
            {
                int[] inputLengths = [.. micro.Select(i => lengths[i] - 1)];
                var rows = SequencePacker.Pack(inputLengths, rowTokens);
                cells += (long)rows.Count * rows.Max(r => r.Sum(i => inputLengths[i]));
                inputs += inputLengths.Sum();
            }
        }

        return (cells, inputs);
    }
}
