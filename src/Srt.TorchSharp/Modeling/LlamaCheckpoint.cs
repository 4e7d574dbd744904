using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling.Modules;
using TorchSharp;
using TorchSharp.Modules;

namespace Srt.TorchSharp.Modeling;

/// <summary>
/// Loads and saves Llama-family weights in Hugging Face layout with strict name and shape matching: every parameter
/// the config implies must be present with its exact shape, and nothing else may be (except <c>lm_head.weight</c>
/// when embeddings are tied and <c>rotary_emb.inv_freq</c> buffers older exports include).
/// </summary>
internal static class LlamaCheckpoint
{
    public const string SingleFileName = "model.safetensors";

    public static void Load(string folder, LlamaCausalLMModule module)
    {
        var readers = OpenWeights(folder, out var sourceFile);
        try
        {
            var stored = new Dictionary<string, (SafetensorsReader Reader, SafetensorsTensorInfo Info)>(StringComparer.Ordinal);
            foreach (var reader in readers)
            {
                foreach (var info in reader.Tensors)
                {
                    stored.TryAdd(info.Name, (reader, info));
                }
            }
            var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            var tied = !parameters.ContainsKey("lm_head.weight");
            var unexpected = stored.Where(s => !parameters.ContainsKey(s.Key) && !IsIgnorable(s.Key, tied)).ToArray();
            if (unexpected.Length > 0)
            {
                var first = unexpected[0];
                throw new CheckpointFormatException(first.Value.Reader.Path, first.Key,
                    $"is not a parameter of this {module.GetName()} configuration (unexpected tensors: {List(unexpected.Select(u => u.Key))}).");
            }
            var missing = parameters.Keys.Where(name => !stored.ContainsKey(name)).ToArray();
            if (missing.Length > 0)
            {
                throw new CheckpointFormatException(sourceFile, missing[0],
                    $"is missing from the checkpoint (missing tensors: {List(missing)}).");
            }
            foreach (var (name, parameter) in parameters)
            {
                var (reader, info) = stored[name];
                if (!info.Shape.SequenceEqual(parameter.shape))
                {
                    throw new CheckpointFormatException(reader.Path, name,
                        $"has shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", parameter.shape)}].");
                }
                if (!SafetensorsDType.IsFloatingPoint(info.DType))
                {
                    throw new CheckpointFormatException(reader.Path, name, $"has dtype {info.DType}; model weights must be floating point.");
                }
            }
            foreach (var (name, parameter) in parameters)
            {
                var (reader, info) = stored[name];
                reader.ReadInto(info, parameter);
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }

    private static bool IsIgnorable(string name, bool tied) =>
        name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) || (tied && name == "lm_head.weight");

    private static string List(IEnumerable<string> names)
    {
        var all = names.ToArray();
        return string.Join(", ", all.Take(8)) + (all.Length > 8 ? $", … ({all.Length} in all)" : "");
    }

    private static List<SafetensorsReader> OpenWeights(string folder, out string sourceFile)
    {
        var single = Path.Combine(folder, SingleFileName);
        var index = Path.Combine(folder, ShardIndex.FileName);
        var readers = new List<SafetensorsReader>();
        if (File.Exists(single))
        {
            sourceFile = single;
            readers.Add(SafetensorsReader.Open(single));
            return readers;
        }
        if (!File.Exists(index))
        {
            throw new FileNotFoundException($"{folder}: neither {SingleFileName} nor {ShardIndex.FileName} found.", single);
        }
        sourceFile = index;
        var weightMap = ShardIndex.Read(index);
        try
        {
            foreach (var shard in weightMap.GroupBy(entry => entry.Value, StringComparer.Ordinal))
            {
                var shardPath = Path.Combine(folder, shard.Key);
                if (!File.Exists(shardPath))
                {
                    throw new CheckpointFormatException(shardPath, shard.First().Key,
                        $"is mapped by {ShardIndex.FileName} to shard '{shard.Key}', which does not exist.");
                }
                var reader = SafetensorsReader.Open(shardPath);
                readers.Add(reader);
                foreach (var (name, _) in shard)
                {
                    if (!reader.TryGetTensor(name, out _))
                    {
                        throw new CheckpointFormatException(shardPath, name, $"is mapped to this shard by {ShardIndex.FileName} but the shard does not contain it.");
                    }
                }
            }
            return readers;
        }
        catch
        {
            readers.ForEach(r => r.Dispose());
            throw;
        }
    }

    public static void Save(string folder, LlamaForCausalLM model, long? maxShardBytes)
    {
        if (maxShardBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "The shard size must be positive.");
        }
        Directory.CreateDirectory(folder);
        var config = model.Config with { TorchDtype = DTypeName(model.DType) };
        config.Save(Path.Combine(folder, "config.json"));

        var tensors = model.NamedParameters().Select(p => (p.Name, (torch.Tensor)p.Parameter)).ToArray();
        var shards = new List<List<(string Name, torch.Tensor Tensor)>> { new() };
        long shardBytes = 0, totalBytes = 0;
        foreach (var entry in tensors)
        {
            var bytes = entry.Item2.NumberOfElements * entry.Item2.ElementSize;
            if (maxShardBytes is { } limit && shards[^1].Count > 0 && shardBytes + bytes > limit)
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1].Add(entry);
            shardBytes += bytes;
            totalBytes += bytes;
        }

        var single = Path.Combine(folder, SingleFileName);
        var index = Path.Combine(folder, ShardIndex.FileName);
        if (shards.Count == 1)
        {
            SafetensorsWriter.Write(single, shards[0]);
            File.Delete(index);
            return;
        }
        var weightMap = new JsonObject();
        for (var i = 0; i < shards.Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"model-{i + 1:00000}-of-{shards.Count:00000}.safetensors");
            SafetensorsWriter.Write(Path.Combine(folder, name), shards[i]);
            foreach (var (tensorName, _) in shards[i])
            {
                weightMap[tensorName] = name;
            }
        }
        var indexJson = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalBytes },
            ["weight_map"] = weightMap,
        };
        File.WriteAllText(index, indexJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Delete(single);
    }

    private static string DTypeName(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.BFloat16 => "bfloat16",
        torch.ScalarType.Float16 => "float16",
        _ => "float32",
    };
}
