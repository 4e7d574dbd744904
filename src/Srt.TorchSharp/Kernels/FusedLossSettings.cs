namespace Srt.TorchSharp.Kernels;

/// <summary>The non-tensor arguments the fused autograd functions receive.</summary>
/// <param name="ChunkRows">Rows per chunk.</param>
/// <param name="Scale">The factor on the summed loss (1/M for a mean, 1 for a sum).</param>
/// <param name="HiddenGradient">Whether the hidden states need a gradient.</param>
/// <param name="WeightGradient">Whether the weight needs a gradient (false for a frozen head).</param>
/// <param name="CudaRowKernel">Whether CUDA chunks may use the single-kernel path (see <see cref="LinearCrossEntropyChunks.Run"/>).</param>
internal sealed record FusedLossSettings(long ChunkRows, double Scale, bool HiddenGradient, bool WeightGradient, bool CudaRowKernel = false);
