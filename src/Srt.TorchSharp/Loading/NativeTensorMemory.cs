using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Loading;

/// <summary>
/// Moves bytes between files and the memory of contiguous CPU tensors directly, in bounded chunks, so multi-GB
/// weights never pass through managed arrays. The address comes from LibTorchSharp's <c>THSTensor_data</c>, which
/// includes the view offset (unlike <c>storage().data_ptr()</c>) and does not copy bf16/fp16 data.
/// </summary>
internal static partial class NativeTensorMemory
{
    private const int ChunkBytes = 1 << 30;

    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);

    private static unsafe byte* Address(Tensor tensor, long byteLength)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
        {
            throw new InvalidOperationException("Direct tensor memory access needs a contiguous CPU tensor.");
        }
        if (tensor.NumberOfElements * tensor.ElementSize != byteLength)
        {
            throw new InvalidOperationException($"Tensor holds {tensor.NumberOfElements * tensor.ElementSize} bytes, not {byteLength}.");
        }
        var address = THSTensor_data(tensor.Handle);
        if (address == IntPtr.Zero && byteLength > 0)
        {
            throw new InvalidOperationException("LibTorchSharp returned no data address for the tensor.");
        }
        return (byte*)address;
    }

    /// <summary>Fills <paramref name="destination"/> with <paramref name="byteLength"/> bytes read at <paramref name="fileOffset"/>.</summary>
    /// <returns>False when the file ended early.</returns>
    public static unsafe bool ReadFromFile(SafeFileHandle file, long fileOffset, Tensor destination, long byteLength)
    {
        var address = Address(destination, byteLength);
        long done = 0;
        while (done < byteLength)
        {
            var chunk = (int)Math.Min(ChunkBytes, byteLength - done);
            var read = RandomAccess.Read(file, new Span<byte>(address + done, chunk), fileOffset + done);
            if (read == 0)
            {
                return false;
            }
            done += read;
        }
        return true;
    }

    /// <summary>Writes the bytes of <paramref name="source"/> (contiguous, CPU) at <paramref name="fileOffset"/>.</summary>
    public static unsafe void WriteToFile(SafeFileHandle file, long fileOffset, Tensor source, long byteLength)
    {
        var address = Address(source, byteLength);
        long done = 0;
        while (done < byteLength)
        {
            var chunk = (int)Math.Min(ChunkBytes, byteLength - done);
            RandomAccess.Write(file, new ReadOnlySpan<byte>(address + done, chunk), fileOffset + done);
            done += chunk;
        }
    }
}
