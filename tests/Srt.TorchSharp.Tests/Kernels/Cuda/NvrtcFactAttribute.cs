using Srt.TorchSharp.Kernels.Cuda;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>A fact that needs NVRTC (no GPU): skipped, saying why, where no NVRTC library can be loaded.</summary>
public sealed class NvrtcFactAttribute : FactAttribute
{
    public NvrtcFactAttribute()
    {
        if (Nvrtc.Shared is null)
        {
            Skip = "Needs NVRTC (libnvrtc from a CUDA toolkit on the library path): " + Nvrtc.LoadFailure;
        }
    }
}
