namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>The element types the fused kernels are compiled for. Arithmetic is float32 for both.</summary>
internal enum KernelElementType
{
    /// <summary>IEEE float32.</summary>
    Float32,

    /// <summary>bfloat16, stored as 16 bits, computed in float32 and rounded to nearest even on store.</summary>
    BFloat16,
}

/// <summary>Names and sizes for <see cref="KernelElementType"/>.</summary>
internal static class KernelElementTypeExtensions
{
    /// <summary>The suffix the kernel entry points use: <c>f32</c> or <c>bf16</c>.</summary>
    public static string Suffix(this KernelElementType type) => type == KernelElementType.Float32 ? "f32" : "bf16";

    /// <summary>Bytes per element.</summary>
    public static int Size(this KernelElementType type) => type == KernelElementType.Float32 ? 4 : 2;

    /// <summary>Elements in one 16-byte vector access.</summary>
    public static int VectorWidth(this KernelElementType type) => 16 / type.Size();
}
