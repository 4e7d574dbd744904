using System.Text.Json;

namespace Srt.TorchSharp.Loading;

/// <summary>The <c>weight_map</c> of a sharded checkpoint's <c>model.safetensors.index.json</c>.</summary>
internal static class ShardIndex
{
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Tensor name → shard file name, validated to point at plain file names in the same folder.</summary>
    public static IReadOnlyDictionary<string, string> Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(path, null, "needs a 'weight_map' object of tensor name → shard file.");
            }
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                var shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                if (shard.Length == 0 || shard != Path.GetFileName(shard))
                {
                    throw new CheckpointFormatException(path, entry.Name, $"weight_map entry {entry.Value.GetRawText()} must be a file name in the same folder.");
                }
                result[entry.Name] = shard;
            }
            return result;
        }
    }
}
