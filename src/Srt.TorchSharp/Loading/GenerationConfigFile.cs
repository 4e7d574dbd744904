using System.Text.Json;

namespace Srt.TorchSharp.Loading;

/// <summary>
/// Reads the sampling defaults of a model folder's <c>generation_config.json</c> (what transformers' <c>generate</c>
/// uses when a call passes none) as <see cref="GenerationOptions"/>. Its <c>eos_token_id</c> list is read with the
/// tokenizer (every id there stops generation).
/// </summary>
internal static class GenerationConfigFile
{
    public const string FileName = "generation_config.json";

    /// <summary>Reads the defaults, or returns <see langword="null"/> when the folder has no generation_config.json.</summary>
    /// <remarks>
    /// As transformers reads them: without <c>do_sample: true</c> decoding is greedy (temperature 0); with it, a missing
    /// <c>temperature</c> or <c>top_p</c> is 1 and a missing <c>top_k</c> is 50. <c>max_new_tokens</c> is taken when
    /// set; otherwise the <see cref="GenerationOptions"/> default stays (transformers' fallback of 20 tokens in total is no answer length).
    /// </remarks>
    /// <exception cref="InvalidDataException">The file is not a JSON object or a field has the wrong kind; the message names the file.</exception>
    public static GenerationOptions? Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' must hold a JSON object.");
            }

            var options = new GenerationOptions();
            bool sample = root.TryGetProperty("do_sample", out JsonElement doSample) && doSample.ValueKind == JsonValueKind.True;
            options.Temperature = sample ? (float)Number(root, "temperature", 1.0) : 0f;
            options.TopP = sample ? (float)Number(root, "top_p", 1.0) : 1f;
            options.TopK = sample ? (int)Number(root, "top_k", 50) : 0;
            if (root.TryGetProperty("max_new_tokens", out JsonElement max) && max.ValueKind == JsonValueKind.Number)
            {
                options.MaxNewTokens = max.GetInt32();
            }

            return options;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{path}' has a field of the wrong kind: {e.Message}", e);
        }
    }

    private static double Number(JsonElement root, string name, double fallback) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : fallback;
}
