namespace Srt.TorchSharp.Training;

/// <summary>The order of one epoch without length sorting (for packed batches, which need no bucketing): a shuffle
/// seeded by run seed and epoch, cut into global batches. Depends only on (seed, epoch), so resuming stays exact.</summary>
internal static class ShuffledBatches
{
    public static IReadOnlyList<int[]> ForEpoch(int count, int globalBatchSize, int seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked((seed * 1_000_003) ^ (epoch * 7_919) ^ (3 * 104_729))).Shuffle(order);
        return [.. order.Chunk(globalBatchSize)];
    }
}
