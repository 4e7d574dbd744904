using System.Runtime.InteropServices;
using TorchSharp;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// Raw addresses of tensor memory for kernel launches. LibTorchSharp's <c>THSTensor_data</c> returns
/// <c>tensor.data_ptr()</c>, which includes a view's storage offset (TorchSharp's <c>storage().data_ptr()</c> does not).
/// </summary>
internal static partial class TensorMemory
{
    /// <summary>Returns the address of the tensor's first element (on its device).</summary>
    public static ulong Address(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return (ulong)THSTensor_data(tensor.Handle);
    }

    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);
}
