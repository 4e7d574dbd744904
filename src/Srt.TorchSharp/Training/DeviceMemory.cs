using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;

namespace Srt.TorchSharp.Training;

/// <summary>How much memory a device has free for new work, for the memory plan's check before training.</summary>
internal static class DeviceMemory
{
    /// <summary>The free bytes on <paramref name="device"/> and where the figure comes from; null bytes when it cannot tell.</summary>
    public static (long? Bytes, string Source) Available(torch.Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            if (CudaDriver.Shared is null)
            {
                return (null, "no CUDA driver to ask: " + CudaDriver.LoadFailure);
            }
            var cuda = CudaDevice.Get(Math.Max(0, (int)device.index));
            cuda.MakeCurrent();
            return (cuda.Driver.GetMemoryInfo().Free, $"free memory of CUDA device {cuda.Ordinal} ({cuda.Name})");
        }
        if (device.type != DeviceType.CPU)
        {
            return (null, $"no free-memory query for {device.type}");
        }
        if (MemAvailable("/proc/meminfo") is { } available)
        {
            return (available, "MemAvailable in /proc/meminfo");
        }
        // Elsewhere: what the GC sees of the machine (its limit, container limits included) minus the memory in use.
        var info = GC.GetGCMemoryInfo();
        return (Math.Max(0, info.TotalAvailableMemoryBytes - info.MemoryLoadBytes), "the GC's total available memory minus the memory load");
    }

    internal static long? MemAvailable(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                var fields = line["MemAvailable:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], System.Globalization.CultureInfo.InvariantCulture, out var kilobytes) ? kilobytes * 1024 : null;
            }
        }
        return null;
    }
}
