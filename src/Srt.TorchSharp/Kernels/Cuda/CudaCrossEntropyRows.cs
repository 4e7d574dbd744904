using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// One chunk of the fused cross-entropy as a single CUDA kernel (<c>cross_entropy.cu</c>): the loss of every row, and
/// the logits turned into their gradient in place, in the logits' own dtype, on the legacy default stream libtorch uses.
/// </summary>
internal static class CudaCrossEntropyRows
{
    /// <summary>
    /// Runs the kernel when it can take these tensors (a contiguous float32 or bfloat16 CUDA matrix, float32 losses on
    /// the same device, and a usable driver and NVRTC); otherwise does nothing and returns false.
    /// </summary>
    /// <param name="logits">[rows, V], contiguous; replaced by (softmax − onehot) × scale × rowWeights[r] when <paramref name="gradient"/>.</param>
    /// <param name="targets">[rows] ids in [0, V) (checked by the caller).</param>
    /// <param name="rowWeights">Optional per-row factors [rows] on the gradient.</param>
    /// <param name="scale">A scalar factor on the gradient.</param>
    /// <param name="nll">[rows] float32, written with each row's negative log-likelihood.</param>
    /// <param name="gradient">Whether to write the gradient.</param>
    public static bool TryRun(Tensor logits, Tensor targets, Tensor? rowWeights, double scale, Tensor nll, bool gradient)
    {
        if (logits.device_type != DeviceType.CUDA
            || logits.dim() != 2
            || logits.dtype is not (ScalarType.Float32 or ScalarType.BFloat16)
            || !logits.is_contiguous()
            || logits.shape[0] > int.MaxValue
            || logits.shape[1] > int.MaxValue
            || nll.dtype != ScalarType.Float32
            || !nll.is_contiguous()
            || nll.device_type != DeviceType.CUDA
            || nll.device_index != logits.device_index
            || !CudaKernels.IsAvailable)
        {
            return false;
        }

        using var scope = torch.NewDisposeScope();
        var ids = targets.to(ScalarType.Int64, logits.device).contiguous();
        var factors = rowWeights?.to(ScalarType.Float32, logits.device).contiguous();
        var type = logits.dtype == ScalarType.BFloat16 ? KernelElementType.BFloat16 : KernelElementType.Float32;
        FusedKernelLauncher.For(logits.device_index).CrossEntropyRows(
            type,
            TensorMemory.Address(logits),
            TensorMemory.Address(ids),
            factors is null ? 0UL : TensorMemory.Address(factors),
            (float)scale,
            TensorMemory.Address(nll),
            (int)logits.shape[0],
            (int)logits.shape[1],
            gradient);
        return true;
    }
}
