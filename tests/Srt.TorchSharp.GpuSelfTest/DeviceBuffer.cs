using Srt.TorchSharp.Kernels.Cuda;

namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>
/// A device array of float32 or bfloat16 elements, optionally starting a few elements past a 16-byte boundary so that
/// the kernels' unaligned (scalar) variants get exercised.
/// </summary>
internal sealed unsafe class DeviceBuffer : IDisposable
{
    private readonly CudaDriver _driver;
    private readonly ulong _allocation;

    public DeviceBuffer(CudaDriver driver, KernelElementType type, long count, int offsetElements = 0)
    {
        _driver = driver;
        Type = type;
        Count = count;
        _allocation = driver.Allocate(Math.Max(1, (count + offsetElements + 8) * type.Size()));
        Address = _allocation + (ulong)(offsetElements * type.Size());
    }

    public KernelElementType Type { get; }

    public long Count { get; }

    public ulong Address { get; }

    public long Bytes => Count * Type.Size();

    public static DeviceBuffer Upload(CudaDriver driver, KernelElementType type, float[] values, int offsetElements = 0)
    {
        var buffer = new DeviceBuffer(driver, type, values.LongLength, offsetElements);
        buffer.Write(values);
        return buffer;
    }

    public void Write(float[] values)
    {
        if (Type == KernelElementType.Float32)
        {
            fixed (float* data = values)
            {
                _driver.CopyToDevice(Address, data, Bytes);
            }

            return;
        }

        var bits = new ushort[values.Length];
        Parallel.For(0, values.Length, i => bits[i] = HostData.ToBf16(values[i]));
        fixed (ushort* data = bits)
        {
            _driver.CopyToDevice(Address, data, Bytes);
        }
    }

    public float[] Read()
    {
        var values = new float[Count];
        if (Type == KernelElementType.Float32)
        {
            fixed (float* data = values)
            {
                _driver.CopyToHost(data, Address, Bytes);
            }

            return values;
        }

        var bits = new ushort[Count];
        fixed (ushort* data = bits)
        {
            _driver.CopyToHost(data, Address, Bytes);
        }

        Parallel.For(0, values.Length, i => values[i] = HostData.FromBf16(bits[i]));
        return values;
    }

    /// <summary>Fills with NaN so that any element a kernel fails to write shows up as an error.</summary>
    public void Poison()
    {
        if (Type == KernelElementType.Float32)
        {
            _driver.Fill32(Address, 0x7fc00000u, Count);
        }
        else
        {
            _driver.Fill16(Address, 0x7fc0, Count);
        }
    }

    public void Dispose() => _driver.Free(_allocation);
}
