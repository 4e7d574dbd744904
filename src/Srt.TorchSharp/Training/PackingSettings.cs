namespace Srt.TorchSharp.Training;

/// <summary>How a packed micro-batch is built and attended.</summary>
/// <param name="RowTokens">The most model-input tokens in one packed row.</param>
/// <param name="PerSequenceAttention">Attend one sequence at a time (work ∝ Σ length²) instead of through the
/// block-diagonal mask over the whole row (work ∝ row length²); both give the same values.</param>
internal sealed record PackingSettings(int RowTokens, bool PerSequenceAttention = true)
{
    /// <summary>The settings <paramref name="options"/> ask for, or null for padded length buckets.</summary>
    public static PackingSettings? From(TorchSharpTrainerOptions options) =>
        options.BatchLayout == BatchLayout.Packed ? new PackingSettings(options.MaxSequenceLength, !options.PackedAttentionThroughMask) : null;
}
