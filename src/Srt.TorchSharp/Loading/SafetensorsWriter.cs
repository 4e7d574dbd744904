using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Loading;

/// <summary>Writes tensors as a <c>.safetensors</c> file that Hugging Face libraries load (metadata <c>format: pt</c>).</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, in the given order, each in its own dtype.
    /// The file is written beside the target and moved into place, so a crash never leaves a torn file under the name.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Names and tensors (any device; copied to the CPU as needed).</param>
    /// <param name="metadata">Extra <c>__metadata__</c> strings; <c>format</c> defaults to <c>pt</c>.</param>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = tensors.ToArray();
        var header = new JsonObject();
        var metadataNode = new JsonObject { ["format"] = "pt" };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            metadataNode[key] = value;
        }
        header["__metadata__"] = metadataNode;
        long offset = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in entries)
        {
            if (!names.Add(name))
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            }
            var length = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = SafetensorsDType.ToCode(tensor.dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        // Pad the header with spaces to a multiple of 8 so tensor data stays aligned, as the reference writer does.
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var paddedLength = (headerBytes.Length + 7) / 8 * 8;
        var prefix = new byte[8 + paddedLength];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)paddedLength);
        headerBytes.CopyTo(prefix, 8);
        prefix.AsSpan(8 + headerBytes.Length).Fill((byte)' ');

        var temporary = path + ".tmp";
        using (var file = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, prefix.Length + offset))
        {
            RandomAccess.Write(file, prefix, 0);
            long position = prefix.Length;
            using var noGrad = no_grad();
            foreach (var (_, tensor) in entries)
            {
                var length = tensor.NumberOfElements * tensor.ElementSize;
                var onCpu = tensor.device_type == DeviceType.CPU && tensor.is_contiguous();
                using var staged = onCpu ? null : tensor.detach().to(CPU).contiguous();
                NativeTensorMemory.WriteToFile(file, position, staged ?? tensor, length);
                position += length;
            }
        }
        File.Move(temporary, path, overwrite: true);
    }
}
