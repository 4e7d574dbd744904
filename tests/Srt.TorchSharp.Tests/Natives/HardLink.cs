using System.Runtime.InteropServices;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>POSIX link(2), which .NET does not wrap, to reproduce an output file hard-linked to the NuGet cache.</summary>
internal static class HardLink
{
    /// <summary>Creates <paramref name="newPath"/> as a second name for <paramref name="existingPath"/>; 0 on success.</summary>
    [DllImport("libc", EntryPoint = "link", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int Create([MarshalAs(UnmanagedType.LPUTF8Str)] string existingPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}
