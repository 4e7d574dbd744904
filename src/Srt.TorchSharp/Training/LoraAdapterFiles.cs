using System.Text.Json;
using System.Text.Json.Nodes;

namespace Srt.TorchSharp.Training;

/// <summary>Reads and writes PEFT's <c>adapter_config.json</c>.</summary>
internal static class LoraAdapterFiles
{
    public static void WriteConfig(string path, LoraOptions options, string? baseModelNameOrPath)
    {
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["r"] = options.Rank,
            ["lora_alpha"] = options.Alpha,
            ["lora_dropout"] = options.Dropout,
            ["target_modules"] = new JsonArray([.. options.TargetModules.Select(t => JsonValue.Create(t))]),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["use_rslora"] = false,
            ["use_dora"] = false,
        };
        File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public static LoraOptions ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"LoRA adapter config not found: {path}");
        }
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: the root must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }
        string? peftType = config["peft_type"]?.GetValue<string>();
        if (!string.Equals(peftType, "LORA", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{path}: field 'peft_type' is '{peftType}'; only LORA adapters are supported.");
        }
        foreach (var unsupported in new[] { "use_dora", "use_rslora", "fan_in_fan_out" })
        {
            if (config[unsupported]?.GetValue<bool>() == true)
            {
                throw new InvalidDataException($"{path}: field '{unsupported}' is true; this loader supports plain LoRA only.");
            }
        }
        // PEFT options that change which weights an adapter touches or how it scales them: loading the adapter
        // without them would silently compute another model.
        foreach (var (field, meaning) in new[]
        {
            ("modules_to_save", "fully trained copies of whole modules (often embed_tokens/lm_head after adding tokens)"),
            ("layers_to_transform", "adapters on some layers only"),
            ("rank_pattern", "a different rank per module"),
            ("alpha_pattern", "a different alpha per module"),
        })
        {
            if (config[field] is JsonArray { Count: > 0 } or JsonObject { Count: > 0 } or JsonValue)
            {
                throw new InvalidDataException($"{path}: field '{field}' is set ({meaning}); this loader supports plain LoRA on the listed target modules only. Merge the adapter with PEFT (merge_and_unload) and load the merged model instead.");
            }
        }
        if (config["bias"] is JsonValue bias && bias.TryGetValue(out string? biasMode) && biasMode != "none")
        {
            throw new InvalidDataException($"{path}: field 'bias' is '{biasMode}'; this loader supports bias 'none' only.");
        }
        var targets = config["target_modules"] switch
        {
            JsonArray array => array.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue value => throw new InvalidDataException($"{path}: field 'target_modules' is the pattern '{value}'; list the module names instead."),
            _ => throw new InvalidDataException($"{path}: field 'target_modules' is missing."),
        };
        var options = new LoraOptions
        {
            Rank = Read(config, "r", path),
            Alpha = ReadDouble(config, "lora_alpha", path),
            Dropout = config["lora_dropout"] is { } dropout ? dropout.GetValue<double>() : 0,
            TargetModules = targets,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return options;
    }

    private static int Read(JsonObject config, string field, string path) =>
        config[field] is JsonValue value && value.TryGetValue(out int result)
            ? result
            : throw new InvalidDataException($"{path}: field '{field}' must be an integer.");

    private static double ReadDouble(JsonObject config, string field, string path) =>
        config[field] is JsonValue value && value.TryGetValue(out double result)
            ? result
            : throw new InvalidDataException($"{path}: field '{field}' must be a number.");
}
