using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Srt.TorchSharp.Modeling;

/// <summary>Reads and writes <see cref="LlamaConfig"/> as Hugging Face <c>config.json</c>, with errors naming file and field.</summary>
internal static partial class LlamaConfigJson
{
    // Fields modelled by LlamaConfig; everything else in the file is carried through untouched.
    private static readonly string[] KnownFields =
    [
        "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "rms_norm_eps", "rope_theta", "rope_scaling", "max_position_embeddings",
        "tie_word_embeddings", "attention_bias", "mlp_bias", "torch_dtype", "dtype", "bos_token_id", "eos_token_id",
        "pad_token_id", "rope_parameters", "hidden_act", "partial_rotary_factor", "no_rope_layers",
        "no_rope_layer_interval",
    ];

    // Dropout rates: transformers applies them while training; this library has no dropout layers, so a non-zero
    // rate would make training differ silently.
    private static readonly string[] DropoutFields = ["attention_dropout", "resid_pdrop", "embd_pdrop"];

    public static LlamaConfig Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model configuration not found: {path}", path);
        }
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: the top level must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }

        var reader = new FieldReader(path, root);
        // transformers 5 writes rope_theta and the scaling together as rope_parameters; older files use top-level fields.
        var (ropeParameters, slidingRope, ropeField) = SplitRopeParameters(reader.Object("rope_parameters"), path);
        var ropeReader = ropeParameters is null ? null : new FieldReader(path, ropeParameters, ropeField + ".");
        var modelType = reader.String("model_type") ?? "llama";
        foreach (var field in DropoutFields)
        {
            if (reader.Double(field) is { } rate && rate != 0)
            {
                throw new InvalidDataException($"{path}: field '{field}' is {rate}; dropout is not implemented, so only 0 is supported.");
            }
        }
        var extra = new JsonObject();
        foreach (var (name, value) in root)
        {
            if (Array.IndexOf(KnownFields, name) < 0 && Array.IndexOf(LayoutFields, name) < 0)
            {
                extra[name] = value?.DeepClone();
            }
        }
        var config = new LlamaConfig
        {
            ModelType = modelType,
            VocabSize = reader.RequiredInt("vocab_size"),
            HiddenSize = reader.RequiredInt("hidden_size"),
            IntermediateSize = reader.RequiredInt("intermediate_size"),
            NumHiddenLayers = reader.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = reader.RequiredInt("num_attention_heads"),
            NumKeyValueHeads = reader.Int("num_key_value_heads"),
            // Qwen3Config's head_dim defaults to 128 rather than hidden_size / heads.
            HeadDim = reader.Int("head_dim") ?? (modelType == "qwen3" ? 128 : null),
            RmsNormEps = reader.Double("rms_norm_eps") ?? (modelType is "olmo2" or "phi3" ? 1e-5 : 1e-6),
            RopeTheta = ropeReader?.Double("rope_theta") ?? reader.Double("rope_theta") ?? (modelType == "smollm3" ? 2000000.0 : 10000.0),
            // Gemma's MLP reads hidden_activation (checked with the layout fields); its files repeat the same GELU here.
            HiddenAct = reader.String("hidden_act") ?? (modelType is "gemma2" or "gemma3_text" ? "gelu_pytorch_tanh" : "silu"),
            PartialRotaryFactor = ropeReader?.Double("partial_rotary_factor") ?? reader.Double("partial_rotary_factor") ?? 1.0,
            NoRopeLayers = reader.IntListOrNull("no_rope_layers"),
            NoRopeLayerInterval = reader.Int("no_rope_layer_interval") ?? 4,
            RopeScaling = ropeReader is null ? ReadRopeScaling(reader.Object("rope_scaling"), reader.Path, "rope_scaling") : ReadRopeScaling(ropeParameters, path, ropeField),
            WritesRopeParameters = ropeParameters is not null,
            MaxPositionEmbeddings = reader.Int("max_position_embeddings") ?? 2048,
            // SmolLM3Config ties the embeddings unless told otherwise.
            TieWordEmbeddings = reader.Bool("tie_word_embeddings") ?? modelType == "smollm3",
            // Qwen2's config has no attention_bias field: its q/k/v projections always carry biases.
            AttentionBias = reader.Bool("attention_bias") ?? modelType == "qwen2",
            MlpBias = reader.Bool("mlp_bias") ?? false,
            TorchDtype = reader.String("torch_dtype") ?? reader.String("dtype"),
            BosTokenId = reader.Int("bos_token_id"),
            EosTokenIds = reader.IntOrIntList("eos_token_id"),
            PadTokenId = reader.Int("pad_token_id"),
            ExtraFields = extra,
        };
        config = ReadAttentionLayout(config, root, slidingRope, path);
        config.Validate(path);
        return config;
    }

    private static RopeScaling? ReadRopeScaling(JsonObject? node, string path, string field)
    {
        if (node is null)
        {
            return null;
        }
        var scaling = new FieldReader(path, node, field + ".");
        var type = scaling.String("rope_type") ?? scaling.String("type")
            ?? throw new InvalidDataException($"{path}: field '{field}.rope_type' is missing.");
        if (type == "default")
        {
            return null;
        }
        if (type is not (RopeScaling.Linear or RopeScaling.Llama3))
        {
            // Checked before the kind-specific fields, so LongRoPE ("longrope", Phi-3's older "su"/"yarn"), whose
            // entry has no factor, is named as unsupported rather than reported as a missing factor.
            throw new InvalidDataException(
                $"{path}: field '{field}.rope_type' is '{type}'; supported kinds are default, linear and llama3 (LongRoPE is not implemented).");
        }
        return new RopeScaling
        {
            RopeType = type,
            Factor = scaling.Double("factor") ?? throw new InvalidDataException($"{path}: field '{field}.factor' is missing."),
            LowFreqFactor = scaling.Double("low_freq_factor") ?? 1.0,
            HighFreqFactor = scaling.Double("high_freq_factor") ?? 4.0,
            OriginalMaxPositionEmbeddings = scaling.Int("original_max_position_embeddings") ?? 8192,
        };
    }

    public static string Write(LlamaConfig config)
    {
        var root = config.ExtraFields?.DeepClone() as JsonObject ?? new JsonObject();
        root["model_type"] = config.ModelType;
        root["vocab_size"] = config.VocabSize;
        root["hidden_size"] = config.HiddenSize;
        root["intermediate_size"] = config.IntermediateSize;
        root["num_hidden_layers"] = config.NumHiddenLayers;
        root["num_attention_heads"] = config.NumAttentionHeads;
        root["num_key_value_heads"] = config.KeyValueHeadCount;
        if (config.HeadDim is { } headDim) root["head_dim"] = headDim;
        root["rms_norm_eps"] = config.RmsNormEps;
        if (config.WritesRopeParameters)
        {
            var parameters = RopeScalingJson(config.RopeScaling) ?? new JsonObject { ["rope_type"] = "default" };
            parameters["rope_theta"] = config.RopeTheta;
            if (config.PartialRotaryFactor != 1.0) parameters["partial_rotary_factor"] = config.PartialRotaryFactor;
            root["rope_parameters"] = parameters;
        }
        else
        {
            root["rope_theta"] = config.RopeTheta;
            root["rope_scaling"] = RopeScalingJson(config.RopeScaling);
            if (config.PartialRotaryFactor != 1.0) root["partial_rotary_factor"] = config.PartialRotaryFactor;
        }
        root["hidden_act"] = config.HiddenAct;
        if (config.NoRopeLayers is { } noRope) root["no_rope_layers"] = new JsonArray(noRope.Select(v => (JsonNode?)v).ToArray());
        if (config.ModelType == "smollm3") root["no_rope_layer_interval"] = config.NoRopeLayerInterval;
        root["max_position_embeddings"] = config.MaxPositionEmbeddings;
        root["tie_word_embeddings"] = config.TieWordEmbeddings;
        if (!config.IsQwen2) root["attention_bias"] = config.AttentionBias;
        root["mlp_bias"] = config.MlpBias;
        if (config.TorchDtype is { } dtype) root["torch_dtype"] = dtype;
        if (config.BosTokenId is { } bos) root["bos_token_id"] = bos;
        root["eos_token_id"] = config.EosTokenIds.Count switch
        {
            0 => null,
            1 => config.EosTokenIds[0],
            _ => new JsonArray(config.EosTokenIds.Select(id => (JsonNode?)id).ToArray()),
        };
        if (config.PadTokenId is { } pad) root["pad_token_id"] = pad;
        WriteAttentionLayout(config, root);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject? RopeScalingJson(RopeScaling? scaling) => scaling switch
    {
        null => null,
        { RopeType: RopeScaling.Llama3 } s => new JsonObject
        {
            ["rope_type"] = s.RopeType, ["factor"] = s.Factor, ["low_freq_factor"] = s.LowFreqFactor,
            ["high_freq_factor"] = s.HighFreqFactor, ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
        },
        var s => new JsonObject { ["rope_type"] = s.RopeType, ["type"] = s.RopeType, ["factor"] = s.Factor },
    };

    /// <summary>Typed access to optional fields, failing with the file and field name.</summary>
    private sealed class FieldReader(string path, JsonObject root, string prefix = "")
    {
        public string Path => path;

        private JsonNode? Get(string name) => root.TryGetPropertyValue(name, out var node) ? node : null;

        private InvalidDataException Wrong(string name, string expected, JsonNode? node) =>
            new($"{path}: field '{prefix}{name}' must be {expected} (got {node?.ToJsonString() ?? "null"}).");

        public string? String(string name) => Get(name) switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) => s,
            var other => throw Wrong(name, "a string", other),
        };

        public JsonObject? Object(string name) => Get(name) switch
        {
            null => null,
            JsonObject o => o,
            var other => throw Wrong(name, "an object or null", other),
        };

        public int? Int(string name) => Get(name) switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out int i) => i,
            JsonValue v when v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue => (int)d,
            var other => throw Wrong(name, "an integer", other),
        };

        public int RequiredInt(string name) =>
            Int(name) ?? throw new InvalidDataException($"{path}: required field '{prefix}{name}' is missing.");

        public double? Double(string name) => Get(name) switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out double d) => d,
            var other => throw Wrong(name, "a number", other),
        };

        public bool? Bool(string name) => Get(name) switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out bool b) => b,
            var other => throw Wrong(name, "true or false", other),
        };

        public int[]? IntListOrNull(string name) => Get(name) switch
        {
            null => null,
            JsonArray array => array.Select((item, i) => item is JsonValue v && v.TryGetValue(out int value)
                ? value
                : throw Wrong($"{name}[{i.ToString(CultureInfo.InvariantCulture)}]", "an integer", item)).ToArray(),
            var other => throw Wrong(name, "a list of integers or null", other),
        };

        public int[] IntOrIntList(string name) => Get(name) switch
        {
            null => [],
            JsonArray array => array.Select((item, i) => item is JsonValue v && v.TryGetValue(out int id)
                ? id
                : throw Wrong($"{name}[{i.ToString(CultureInfo.InvariantCulture)}]", "an integer", item)).ToArray(),
            JsonValue v when v.TryGetValue(out int id) => [id],
            var other => throw Wrong(name, "an integer or a list of integers", other),
        };
    }
}
