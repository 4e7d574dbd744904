namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// Whether Srt's fused CUDA kernels can run in this process: the NVIDIA driver loads and initializes, NVRTC loads,
/// and at least one CUDA device is present. Probing never throws.
/// </summary>
public static class CudaKernels
{
    private static readonly Lazy<string> Probe = new(ProbeOnce);

    /// <summary>Gets a value indicating whether the fused CUDA kernels can be used.</summary>
    public static bool IsAvailable => Probe.Value.Length == 0;

    /// <summary>Gets why the kernels cannot be used, or an empty string when they can.</summary>
    public static string UnavailableReason => Probe.Value;

    private static string ProbeOnce()
    {
        try
        {
            if (CudaDriver.Shared is not { } driver)
            {
                return CudaDriver.LoadFailure;
            }

            if (Nvrtc.Shared is null)
            {
                return Nvrtc.LoadFailure;
            }

            return driver.DeviceCount > 0 ? string.Empty : "the CUDA driver reports no devices.";
        }
        catch (Exception exception)
        {
            return "probing CUDA failed: " + exception.Message;
        }
    }
}
