using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// What the CPU kernels ask of the tensors they read in place: contiguous float32 on the CPU, of a given rank and
/// size. Each check is one native call that returns a number; reading <c>shape</c> instead is a native call that
/// allocates an array through a managed callback, several times dearer, and a decoding step makes hundreds of checks.
/// </summary>
internal static class CpuTensorChecks
{
    /// <summary>Whether <paramref name="tensor"/> is a contiguous float32 CPU tensor.</summary>
    public static bool IsContiguousFloat(Tensor? tensor) =>
        tensor is not null && tensor.dtype == ScalarType.Float32 && tensor.device_type == DeviceType.CPU && tensor.is_contiguous();

    /// <summary>Whether <paramref name="tensor"/> is a contiguous float32 CPU tensor of <paramref name="dims"/> dimensions.</summary>
    public static bool IsContiguous(Tensor? tensor, int dims) => IsContiguousFloat(tensor) && tensor!.dim() == dims;

    /// <summary>Whether <paramref name="tensor"/> is a contiguous float32 CPU vector of <paramref name="length"/>.</summary>
    public static bool IsVector(Tensor? tensor, long length) => IsContiguous(tensor, 1) && tensor!.size(0) == length;

    /// <summary>Whether <paramref name="tensor"/> is a contiguous float32 CPU matrix [<paramref name="rows"/>,
    /// <paramref name="columns"/>].</summary>
    public static bool IsMatrix(Tensor? tensor, long rows, long columns) =>
        IsContiguous(tensor, 2) && tensor!.size(0) == rows && tensor.size(1) == columns;
}
