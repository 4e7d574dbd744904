using System.Runtime.InteropServices;

namespace Srt.Benchmarks.Losses;

/// <summary>
/// Peak GPU memory of this process's work on CUDA device 0. TorchSharp 0.107 binds none of libtorch's allocator
/// statistics, so this reads them through a small C shim (<c>cuda_alloc_stats.cpp</c>, compiled on the GPU machine and
/// named by <c>SRT_CUDA_ALLOC_STATS_LIB</c>): bytes handed out by the caching allocator, as
/// <c>torch.cuda.max_memory_allocated</c> reports them. Without the shim it samples NVML's device-wide used memory
/// every millisecond on a background thread; that figure also counts the CUDA context, the allocator's cached but
/// unused blocks and other processes, so its increment is an upper bound of the allocations (a sample can still miss a
/// peak shorter than a millisecond).
/// </summary>
internal sealed unsafe class CudaMemory : IDisposable
{
    private readonly delegate* unmanaged<int, long*, int> _stats;
    private readonly delegate* unmanaged<int, int> _resetPeak;
    private readonly delegate* unmanaged<IntPtr, ulong*, int> _nvmlMemoryInfo;
    private readonly IntPtr _nvmlDevice;
    private readonly Thread? _sampler;
    private volatile bool _stop;
    private long _sampledPeak;

    public CudaMemory()
    {
        var path = Environment.GetEnvironmentVariable("SRT_CUDA_ALLOC_STATS_LIB");
        if (!string.IsNullOrEmpty(path) && NativeLibrary.TryLoad(path, out var shim)
            && NativeLibrary.TryGetExport(shim, "srt_cuda_alloc_stats", out var stats)
            && NativeLibrary.TryGetExport(shim, "srt_cuda_reset_peak", out var reset))
        {
            _stats = (delegate* unmanaged<int, long*, int>)stats;
            _resetPeak = (delegate* unmanaged<int, int>)reset;
            Source = "allocator";
            return;
        }

        if (NativeLibrary.TryLoad("libnvidia-ml.so.1", out var nvml)
            && ((delegate* unmanaged<int>)NativeLibrary.GetExport(nvml, "nvmlInit_v2"))() == 0)
        {
            IntPtr device;
            if (((delegate* unmanaged<uint, IntPtr*, int>)NativeLibrary.GetExport(nvml, "nvmlDeviceGetHandleByIndex_v2"))(0, &device) == 0)
            {
                _nvmlDevice = device;
                _nvmlMemoryInfo = (delegate* unmanaged<IntPtr, ulong*, int>)NativeLibrary.GetExport(nvml, "nvmlDeviceGetMemoryInfo");
                Source = "nvml-device-used";
                _sampler = new Thread(Sample) { IsBackground = true, Name = "nvml memory sampler" };
                _sampler.Start();
                return;
            }
        }

        Source = "none";
    }

    /// <summary>Gets where the figures come from: <c>allocator</c>, <c>nvml-device-used</c> or <c>none</c>.</summary>
    public string Source { get; }

    /// <summary>Gets the bytes in use now (allocated by the allocator, or used on the device).</summary>
    public long Current() => _stats != null ? Read(0) : _nvmlMemoryInfo != null ? NvmlUsed() : 0;

    /// <summary>Gets the peak since the last <see cref="ResetPeak"/>.</summary>
    public long Peak() => _stats != null ? Read(1) : Interlocked.Read(ref _sampledPeak);

    /// <summary>Gets the allocator's peak reserved (cached) bytes, or 0 without the shim.</summary>
    public long PeakReserved() => _stats != null ? Read(3) : 0;

    /// <summary>Starts a new peak from the current figure.</summary>
    public bool ResetPeak()
    {
        if (_stats != null)
        {
            return _resetPeak(0) == 0;
        }

        Interlocked.Exchange(ref _sampledPeak, Current());
        return _nvmlMemoryInfo != null;
    }

    public void Dispose()
    {
        _stop = true;
        _sampler?.Join();
    }

    private long Read(int index)
    {
        long* values = stackalloc long[4];
        return _stats(0, values) == 0 ? values[index] : -1;
    }

    private long NvmlUsed()
    {
        ulong* info = stackalloc ulong[3]; // total, free, used
        return _nvmlMemoryInfo(_nvmlDevice, info) == 0 ? (long)info[2] : 0;
    }

    private void Sample()
    {
        while (!_stop)
        {
            long used = NvmlUsed();
            long peak;
            while (used > (peak = Interlocked.Read(ref _sampledPeak)) && Interlocked.CompareExchange(ref _sampledPeak, used, peak) != peak)
            {
            }

            Thread.Sleep(1);
        }
    }
}
