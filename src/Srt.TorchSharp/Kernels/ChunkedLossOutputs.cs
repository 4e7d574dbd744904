using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>What <see cref="LinearCrossEntropyChunks.Run"/> produces.</summary>
/// <param name="Nll">Per-row negative log-likelihood of the target [M], float32 (float64 for float64 inputs).</param>
/// <param name="GradHidden">The gradient for the hidden rows [M, H] in their dtype, when requested.</param>
/// <param name="GradWeight">The gradient for the weight [V, H] in its dtype, when requested.</param>
internal sealed record ChunkedLossOutputs(Tensor Nll, Tensor? GradHidden, Tensor? GradWeight);
