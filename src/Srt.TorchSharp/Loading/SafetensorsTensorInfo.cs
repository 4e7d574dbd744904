namespace Srt.TorchSharp.Loading;

/// <summary>One tensor entry of a validated safetensors header.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="DType">The safetensors dtype code (<c>F32</c>, <c>BF16</c>, …).</param>
/// <param name="Shape">The shape.</param>
/// <param name="FileOffset">Absolute byte offset of the data in the file.</param>
/// <param name="ByteLength">Bytes of data (element count × element size, verified).</param>
public sealed record SafetensorsTensorInfo(string Name, string DType, long[] Shape, long FileOffset, long ByteLength);
