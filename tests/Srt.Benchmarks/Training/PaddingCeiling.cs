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
}
