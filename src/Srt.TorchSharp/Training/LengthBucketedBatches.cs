namespace Srt.TorchSharp.Training;

/// <summary>
/// The order of one epoch: shuffle (seeded by run seed and epoch), cut into buckets of several global batches, sort each
/// bucket by length (longest first), cut into global batches, shuffle the batches. Inside a global batch the examples
/// stay sorted, so consecutive micro-batches hold similar lengths and padding never exceeds one bucket's spread.
/// The order depends only on (seed, epoch), which is what makes resuming at a batch index exact.
/// </summary>
internal static class LengthBucketedBatches
{
    public static IReadOnlyList<int[]> ForEpoch(IReadOnlyList<int> lengths, int globalBatchSize, int bucketBatches, int seed, int epoch)
    {
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        new Random(Mix(seed, epoch, 1)).Shuffle(order);
        var batches = new List<int[]>();
        int bucketSize = globalBatchSize * bucketBatches;
        for (int start = 0; start < order.Length; start += bucketSize)
        {
            var bucket = order.Skip(start).Take(bucketSize).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
            batches.AddRange(bucket.Chunk(globalBatchSize));
        }
        var batchArray = batches.ToArray();
        new Random(Mix(seed, epoch, 2)).Shuffle(batchArray);
        return batchArray;
    }

    // HashCode.Combine is randomised per process; the order must be the same in a resumed process.
    private static int Mix(int seed, int epoch, int stream) => unchecked((seed * 1_000_003) ^ (epoch * 7_919) ^ (stream * 104_729));

    public static int BatchesPerEpoch(int count, int globalBatchSize) => (count + globalBatchSize - 1) / globalBatchSize;
}
