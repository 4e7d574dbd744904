namespace Srt.TorchSharp.Generation;

/// <summary>How a <see cref="TorchSharpPolicyModel"/> groups prompts while generating.</summary>
public enum GenerationBatching
{
    /// <summary>
    /// A fixed number of slots stay busy: when a sequence ends, the next waiting prompt is prefilled into its slot and
    /// decoding goes on, so no slot waits for the longest sequence of a batch (as vLLM and Hugging Face's continuous
    /// batching do).
    /// </summary>
    Continuous,

    /// <summary>
    /// Prompts run in fixed batches (in order of length, left-padded): a batch decodes until its longest sequence ends
    /// and rows that ended earlier wait as padding. Kept for comparison.
    /// </summary>
    Static,
}
