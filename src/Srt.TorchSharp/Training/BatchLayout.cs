namespace Srt.TorchSharp.Training;

/// <summary>How the examples of a micro-batch are laid out for the forward pass.</summary>
public enum BatchLayout
{
    /// <summary>Sequences are packed back to back into as few rows as fit <see cref="TorchSharpTrainerOptions.MaxSequenceLength"/>
    /// tokens, positions restarting at each sequence and attention kept inside each one: no padding and no masked
    /// attention work. Each epoch's order is a plain seeded shuffle.</summary>
    Packed,

    /// <summary>One sequence per row, right-padded to the longest of the micro-batch; each epoch's order is sorted by
    /// length inside buckets of <see cref="TorchSharpTrainerOptions.LengthBucketBatches"/> global batches to limit padding.</summary>
    LengthBuckets,
}
