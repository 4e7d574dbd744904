using System.Text.Json.Nodes;

namespace Srt.TorchSharp.Modeling;

// The config.json fields of the per-layer attention layout (sliding windows, layer types, per-layer rotary settings)
// and of Gemma 2 / Gemma 3, with Hugging Face's defaults for files that omit them.
internal static partial class LlamaConfigJson
{
    private static readonly string[] LayoutFields =
    [
        "sliding_window", "use_sliding_window", "max_window_layers", "layer_types", "sliding_window_pattern",
        "query_pre_attn_scalar", "attn_logit_softcapping", "final_logit_softcapping", "hidden_activation",
        "rope_local_base_freq",
    ];

    /// <summary>
    /// transformers 5 may give rotary settings per layer type (<c>{"full_attention": {...}, "sliding_attention":
    /// {...}}</c>): returns the entry of full-attention layers as the model's global settings, the sliding entry, and
    /// the field name errors should cite.
    /// </summary>
    private static (JsonObject? Global, JsonObject? Sliding, string Field) SplitRopeParameters(JsonObject? node, string path)
    {
        if (node is null || !(node.ContainsKey(LlamaConfig.FullAttention) || node.ContainsKey(LlamaConfig.SlidingAttention)))
        {
            return (node, null, "rope_parameters");
        }
        JsonObject? Entry(string kind) => node.TryGetPropertyValue(kind, out var entry) switch
        {
            false => null,
            true when entry is JsonObject o => o,
            _ => throw new InvalidDataException(
                $"{path}: field 'rope_parameters.{kind}' must be an object (got {entry?.ToJsonString() ?? "null"})."),
        };
        var global = Entry(LlamaConfig.FullAttention)
            ?? throw new InvalidDataException($"{path}: field 'rope_parameters.{LlamaConfig.FullAttention}' is missing (rope_parameters is given per layer type).");
        var sliding = Entry(LlamaConfig.SlidingAttention) ?? new JsonObject { ["rope_type"] = "default" };
        return (global, sliding, "rope_parameters." + LlamaConfig.FullAttention);
    }

    private static LlamaConfig ReadAttentionLayout(LlamaConfig config, JsonObject root, JsonObject? slidingRope, string path)
    {
        var reader = new FieldReader(path, root);
        bool Has(string name) => root.ContainsKey(name);
        var gemma = config.IsGemma;
        var gemma3 = config.IsGemma3Text;

        double? localTheta = reader.Double("rope_local_base_freq") ?? (gemma3 ? 10000.0 : null);
        RopeScaling? localScaling = null;
        if (slidingRope is not null)
        {
            var sliding = new FieldReader(path, slidingRope, "rope_parameters.sliding_attention.");
            localTheta = sliding.Double("rope_theta") ?? localTheta ?? config.RopeTheta;
            localScaling = ReadRopeScaling(slidingRope, path, "rope_parameters.sliding_attention");
        }
        var globalRope = reader.Object("rope_parameters") is { } parameters
            ? parameters[LlamaConfig.FullAttention] as JsonObject ?? parameters
            : null;
        var ropeThetaGiven = Has("rope_theta") || globalRope?.ContainsKey("rope_theta") == true;

        return config with
        {
            // Hugging Face's class defaults for files that omit a field (MistralConfig, Gemma2Config, Gemma3TextConfig).
            SlidingWindow = Has("sliding_window")
                ? reader.Int("sliding_window")
                : config.ModelType is "mistral" or "gemma2" or "gemma3_text" ? 4096 : null,
            UseSlidingWindow = reader.Bool("use_sliding_window") ?? (config.IsQwen2 ? false : null),
            MaxWindowLayers = reader.Int("max_window_layers"),
            LayerTypes = ReadStringList(root, "layer_types", path),
            SlidingWindowPattern = reader.Int("sliding_window_pattern"),
            QueryPreAttnScalar = reader.Double("query_pre_attn_scalar") ?? (gemma ? 256.0 : null),
            AttnLogitSoftcapping = Has("attn_logit_softcapping") ? reader.Double("attn_logit_softcapping") : config.IsGemma2 ? 50.0 : null,
            FinalLogitSoftcapping = Has("final_logit_softcapping") ? reader.Double("final_logit_softcapping") : config.IsGemma2 ? 30.0 : null,
            HiddenActivation = reader.String("hidden_activation"),
            RopeLocalBaseFreq = localTheta,
            LocalRopeScaling = localScaling,
            WritesRopeParametersPerLayerType = slidingRope is not null,
            HeadDim = gemma && !Has("head_dim") ? 256 : config.HeadDim,
            TieWordEmbeddings = gemma && !Has("tie_word_embeddings") || config.TieWordEmbeddings,
            RopeTheta = gemma3 && !ropeThetaGiven ? 1_000_000.0 : config.RopeTheta,
        };
    }

    private static string[]? ReadStringList(JsonObject root, string name, string path)
    {
        if (!root.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        if (node is not JsonArray array)
        {
            throw new InvalidDataException($"{path}: field '{name}' must be a list of strings (got {node.ToJsonString()}).");
        }
        return array.Select((item, i) => item is JsonValue v && v.TryGetValue(out string? s)
            ? s
            : throw new InvalidDataException($"{path}: field '{name}[{i}]' must be a string (got {item?.ToJsonString() ?? "null"}).")).ToArray();
    }

    private static void WriteAttentionLayout(LlamaConfig config, JsonObject root)
    {
        // Families whose configuration defaults a field to a value write it even when null, so null survives a reload.
        var windowDefaults = config.ModelType is "mistral" or "gemma2" or "gemma3_text";
        if (config.SlidingWindow is not null || windowDefaults) root["sliding_window"] = config.SlidingWindow;
        if (config.UseSlidingWindow is { } use) root["use_sliding_window"] = use;
        if (config.MaxWindowLayers is { } maxWindowLayers) root["max_window_layers"] = maxWindowLayers;
        if (config.LayerTypes is { } types) root["layer_types"] = new JsonArray(types.Select(t => (JsonNode?)t).ToArray());
        if (config.SlidingWindowPattern is { } pattern) root["sliding_window_pattern"] = pattern;
        if (config.QueryPreAttnScalar is { } scalar) root["query_pre_attn_scalar"] = scalar;
        if (config.AttnLogitSoftcapping is not null || config.IsGemma) root["attn_logit_softcapping"] = config.AttnLogitSoftcapping;
        if (config.FinalLogitSoftcapping is not null || config.IsGemma) root["final_logit_softcapping"] = config.FinalLogitSoftcapping;
        if (config.HiddenActivation is { } activation) root["hidden_activation"] = activation;
        if (config.WritesRopeParametersPerLayerType)
        {
            var global = RopeScalingJson(config.RopeScaling) ?? new JsonObject { ["rope_type"] = "default" };
            global["rope_theta"] = config.RopeTheta;
            var local = RopeScalingJson(config.LocalRopeScaling) ?? new JsonObject { ["rope_type"] = "default" };
            local["rope_theta"] = config.RopeLocalBaseFreq ?? config.RopeTheta;
            root["rope_parameters"] = new JsonObject
            {
                [LlamaConfig.FullAttention] = global,
                [LlamaConfig.SlidingAttention] = local,
            };
        }
        else if (config.RopeLocalBaseFreq is { } localTheta)
        {
            root["rope_local_base_freq"] = localTheta;
        }
    }
}
