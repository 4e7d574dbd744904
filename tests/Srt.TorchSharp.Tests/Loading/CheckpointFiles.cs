using Srt.TorchSharp.Loading;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

/// <summary>Helpers that build damaged weight files for the validation tests.</summary>
internal static class CheckpointFiles
{
    /// <summary>Reads every tensor of a safetensors file, lets <paramref name="edit"/> change the list, writes it back.</summary>
    public static void Rewrite(string path, Action<List<(string Name, Tensor Tensor)>> edit)
    {
        List<(string, Tensor)> tensors;
        using (var reader = SafetensorsReader.Open(path))
        {
            tensors = reader.Tensors.Select(t => (t.Name, reader.ReadTensor(t.Name))).ToList();
        }
        edit(tensors);
        SafetensorsWriter.Write(path, tensors);
        tensors.ForEach(t => t.Item2.Dispose());
    }

    /// <summary>Writes a raw safetensors file: the length prefix (or <paramref name="declaredHeaderLength"/>), the header and zeroed data.</summary>
    public static void WriteRaw(string path, string header, long dataBytes, ulong? declaredHeaderLength = null)
    {
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes(declaredHeaderLength ?? (ulong)headerBytes.Length));
        stream.Write(headerBytes);
        stream.Write(new byte[dataBytes]);
    }
}
