using System.Runtime.InteropServices;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>Loads the first of several candidate native library names, remembering what each attempt said.</summary>
internal static class NativeLibraryProbe
{
    /// <summary>Tries each candidate (a file name searched the usual way, or a path) and returns the first that loads.</summary>
    public static bool TryLoad(IEnumerable<string> candidates, out IntPtr handle, out string loadedName, out string failures)
    {
        var tried = new List<string>();
        foreach (var candidate in candidates)
        {
            if (string.IsNullOrWhiteSpace(candidate))
            {
                continue;
            }

            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                loadedName = candidate;
                failures = string.Empty;
                return true;
            }

            tried.Add(candidate);
        }

        handle = IntPtr.Zero;
        loadedName = string.Empty;
        failures = "tried " + string.Join(", ", tried);
        return false;
    }

    /// <summary>Returns an exported function's address or throws naming the library and symbol.</summary>
    public static IntPtr Export(IntPtr library, string libraryName, string symbol)
    {
        if (!NativeLibrary.TryGetExport(library, symbol, out var address))
        {
            throw new EntryPointNotFoundException($"{libraryName} does not export {symbol}; the installed version is too old.");
        }

        return address;
    }
}
