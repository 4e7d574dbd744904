using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Srt.TorchSharp.Loading;

/// <summary>
/// Reads and validates a safetensors header before any tensor memory is allocated: the length prefix against the file
/// size, the JSON, every dtype, shape and byte count (overflow-checked), and that the data ranges lie inside the data
/// section without overlapping.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Headers larger than this are rejected as corrupt (real ones are kilobytes to a few megabytes).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    public static (IReadOnlyList<SafetensorsTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(
        string path, SafeFileHandle file)
    {
        var fileLength = RandomAccess.GetLength(file);
        if (fileLength < 8)
        {
            throw new CheckpointFormatException(path, null, $"the file is {fileLength} bytes, too short to hold a safetensors header length.");
        }
        Span<byte> prefix = stackalloc byte[8];
        RandomAccess.Read(file, prefix, 0);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new CheckpointFormatException(path, null,
                $"the header length {headerLength} exceeds the file ({fileLength} bytes); the file is truncated or not safetensors.");
        }
        if (headerLength > MaxHeaderBytes)
        {
            throw new CheckpointFormatException(path, null, $"the header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        }
        var headerBytes = new byte[headerLength];
        if (RandomAccess.Read(file, headerBytes, 8) != headerBytes.Length)
        {
            throw new CheckpointFormatException(path, null, "the file ended inside the header.");
        }
        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"the header is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(path, null, "the header must be a JSON object.");
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<(SafetensorsTensorInfo Info, long Begin, long End)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }
                if (!names.Add(property.Name))
                {
                    throw new CheckpointFormatException(path, property.Name, "appears twice in the header.");
                }
                tensors.Add(ReadEntry(path, property.Name, property.Value, dataStart, dataLength));
            }
            CheckNoOverlap(path, tensors);
            return (tensors.Select(t => t.Info).ToArray(), metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointFormatException(path, null, "'__metadata__' must be an object of strings.");
        }
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new CheckpointFormatException(path, null, $"'__metadata__.{entry.Name}' must be a string.");
            }
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static (SafetensorsTensorInfo, long, long) ReadEntry(string path, string name, JsonElement entry, long dataStart, long dataLength)
    {
        CheckpointFormatException Bad(string problem) => new(path, name, problem);
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
        {
            throw Bad("the header entry needs 'dtype' (string), 'shape' (array) and 'data_offsets' (array).");
        }
        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDType.TryGet(dtype, out _, out var elementSize))
        {
            throw Bad($"unknown dtype '{dtype}' (supported: {SafetensorsDType.SupportedList}).");
        }
        var shape = new long[shapeElement.GetArrayLength()];
        var index = 0;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (!TryGetCount(dimension, out var size))
            {
                throw Bad($"shape entry {index} must be a non-negative integer (got {dimension.GetRawText()}).");
            }
            shape[index++] = size;
        }
        if (offsetsElement.GetArrayLength() != 2)
        {
            throw Bad("'data_offsets' must be [begin, end].");
        }
        var begin = TryGetCount(offsetsElement[0], out var b) ? b : -1;
        var end = TryGetCount(offsetsElement[1], out var e) ? e : -1;
        if (begin < 0 || end < begin)
        {
            throw Bad($"data_offsets [{offsetsElement[0].GetRawText()}, {offsetsElement[1].GetRawText()}] are not a valid range.");
        }
        long byteLength;
        try
        {
            byteLength = elementSize;
            foreach (var size in shape)
            {
                byteLength = checked(byteLength * size);
            }
        }
        catch (OverflowException)
        {
            throw Bad($"shape [{string.Join(", ", shape)}] is too large to address.");
        }
        if (end - begin != byteLength)
        {
            throw Bad($"data_offsets [{begin}, {end}] span {end - begin} bytes but {dtype} [{string.Join(", ", shape)}] needs {byteLength}.");
        }
        if (end > dataLength)
        {
            throw Bad($"data_offsets [{begin}, {end}] reach past the end of the data section ({dataLength} bytes): the file is truncated or the offsets are out of range.");
        }
        return (new SafetensorsTensorInfo(name, dtype, shape, dataStart + begin, byteLength), begin, end);
    }

    private static bool TryGetCount(JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value) && value >= 0;
    }

    private static void CheckNoOverlap(string path, List<(SafetensorsTensorInfo Info, long Begin, long End)> tensors)
    {
        var ordered = tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin).ToArray();
        for (var i = 1; i < ordered.Length; i++)
        {
            if (ordered[i].Begin < ordered[i - 1].End)
            {
                throw new CheckpointFormatException(path, ordered[i].Info.Name,
                    $"data_offsets [{ordered[i].Begin}, {ordered[i].End}] overlap tensor '{ordered[i - 1].Info.Name}' [{ordered[i - 1].Begin}, {ordered[i - 1].End}].");
            }
        }
    }
}
