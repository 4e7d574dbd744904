namespace Srt.TorchSharp.Kernels;

/// <summary>Chooses how language-model losses turn hidden states into token log-probabilities.</summary>
public enum LossImplementation
{
    /// <summary>
    /// Chunked fused linear cross-entropy: only supervised tokens are projected, a few rows at a time, and the
    /// tokens × vocabulary logits never exist in full. The default.
    /// </summary>
    Fused = 0,

    /// <summary>
    /// The textbook path: full logits for every token, then <c>cross_entropy</c> or <c>log_softmax</c>.
    /// Kept to compare against and as an escape hatch.
    /// </summary>
    Plain = 1,
}
