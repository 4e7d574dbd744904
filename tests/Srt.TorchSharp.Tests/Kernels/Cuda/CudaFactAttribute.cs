using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>
/// A fact that needs a CUDA GPU: the fused kernels usable (driver, NVRTC, a device) and a libtorch CUDA backend.
/// Elsewhere (CI, this repository's CPU test machines) it is skipped, and the skip message says why.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!CudaKernels.IsAvailable)
        {
            Skip = "Needs a CUDA GPU: " + CudaKernels.UnavailableReason +
                " (The kernels alone are checked by tests/Srt.TorchSharp.GpuSelfTest on a GPU machine, see docs/kernels.md; this test checks them through TorchSharp.)";
        }
        else if (!torch.cuda.is_available())
        {
            Skip = "Needs a libtorch CUDA backend (this test project references the CPU one).";
        }
    }
}
