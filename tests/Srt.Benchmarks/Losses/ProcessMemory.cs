namespace Srt.Benchmarks.Losses;

/// <summary>Reads this process's memory figures from Linux's <c>/proc</c> (zero where unavailable).</summary>
internal static class ProcessMemory
{
    /// <summary>Gets the current resident set size in bytes (VmRSS).</summary>
    public static long ResidentBytes() => ReadKilobytes("/proc/self/status", "VmRSS:") * 1024;

    /// <summary>Gets the peak resident set size in bytes (VmHWM), since start or the last <see cref="ResetPeak"/>.</summary>
    public static long PeakResidentBytes() => ReadKilobytes("/proc/self/status", "VmHWM:") * 1024;

    /// <summary>Gets the memory the kernel says is available to new work, in bytes (MemAvailable).</summary>
    public static long AvailableBytes() => ReadKilobytes("/proc/meminfo", "MemAvailable:") * 1024;

    /// <summary>
    /// Resets the peak to the current resident size (writing 5 to <c>/proc/self/clear_refs</c>), so that set-up
    /// transients do not count. Returns false where the kernel does not allow it.
    /// </summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long ReadKilobytes(string path, string key)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var value = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
