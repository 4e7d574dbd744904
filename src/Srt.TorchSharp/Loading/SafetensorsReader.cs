using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Loading;

/// <summary>
/// Reads tensors from one <c>.safetensors</c> file. The header is fully validated when the file is opened (see
/// <see cref="Open"/>), and tensor bytes are read straight from the file into tensor memory.
/// </summary>
public sealed class SafetensorsReader : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    private SafetensorsReader(string path, SafeFileHandle file, IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _file = file;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The tensor entries, in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens a file and validates its header: length prefix within the file (and at most 100 MB), JSON,
    /// known dtypes, byte counts equal to shape × dtype size, data ranges inside the file and non-overlapping.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="CheckpointFormatException">The header is malformed; the message names the file and tensor.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weight file not found: {path}", path);
        }
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var (tensors, metadata) = SafetensorsHeader.Read(path, file);
            return new SafetensorsReader(path, file, tensors, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Looks up a tensor entry.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="info">The entry when found.</param>
    public bool TryGetTensor(string name, out SafetensorsTensorInfo info) => _byName.TryGetValue(name, out info!);

    /// <summary>Reads a tensor, optionally cast and moved.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="dtype">The dtype to return, or null for the stored one.</param>
    /// <param name="device">The device to return it on, or null for the CPU.</param>
    /// <returns>A new tensor the caller owns.</returns>
    public Tensor ReadTensor(string name, ScalarType? dtype = null, Device? device = null)
    {
        if (!_byName.TryGetValue(name, out var info))
        {
            throw new CheckpointFormatException(Path, name, "is not in this file.");
        }
        var stored = ReadStored(info);
        var targetType = dtype ?? stored.dtype;
        if (targetType == stored.dtype && (device is null || device.type == DeviceType.CPU))
        {
            return stored;
        }
        using (stored)
        {
            return stored.to(targetType, device ?? CPU);
        }
    }

    /// <summary>Copies a tensor's data into <paramref name="destination"/>, which must have the stored shape; the
    /// dtype and device may differ (the copy casts). Contiguous CPU destinations of the stored dtype are filled directly.</summary>
    internal void ReadInto(SafetensorsTensorInfo info, Tensor destination)
    {
        using var noGrad = no_grad();
        if (destination.device_type == DeviceType.CPU && destination.dtype == SafetensorsDType.ToScalarType(info.DType) && destination.is_contiguous())
        {
            Fill(info, destination);
            return;
        }
        using var stored = ReadStored(info);
        destination.copy_(stored);
    }

    private Tensor ReadStored(SafetensorsTensorInfo info)
    {
        var tensor = empty(info.Shape, SafetensorsDType.ToScalarType(info.DType), CPU);
        try
        {
            Fill(info, tensor);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private void Fill(SafetensorsTensorInfo info, Tensor destination)
    {
        if (!NativeTensorMemory.ReadFromFile(_file, info.FileOffset, destination, info.ByteLength))
        {
            throw new CheckpointFormatException(Path, info.Name, "the file ended while reading the tensor's data (it was truncated after opening).");
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();
}
