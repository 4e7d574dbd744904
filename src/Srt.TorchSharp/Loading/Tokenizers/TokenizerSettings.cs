using System.Text.Json;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// The settings around a tokenizer: <c>tokenizer_config.json</c> (BOS/EOS/PAD, add_bos_token, chat_template,
/// added_tokens_decoder, and the extra special tokens: transformers 5's <c>extra_special_tokens</c>, earlier
/// versions' <c>additional_special_tokens</c>), <c>chat_template.jinja</c> (where transformers ≥ 4.43 and TRL save
/// the chat template; it wins over the config's), <c>special_tokens_map.json</c> (fills tokens the config leaves
/// out) and <c>generation_config.json</c> (extra end-of-sequence ids, as Llama 3 lists several).
/// </summary>
internal sealed class TokenizerSettings
{
    public string? BosToken { get; private set; }

    public string? EosToken { get; private set; }

    public string? PadToken { get; private set; }

    public bool? AddBosToken { get; private set; }

    public bool? AddEosToken { get; private set; }

    public string? ChatTemplate { get; private set; }

    public List<AddedToken> AddedTokens { get; } = [];

    /// <summary>Gets the texts of the extra special tokens (<c>extra_special_tokens</c> / <c>additional_special_tokens</c>).</summary>
    public List<string> ExtraSpecialTokens { get; } = [];

    public List<int> GenerationEosIds { get; } = [];

    public int? GenerationPadId { get; private set; }

    /// <summary>The file transformers saves the chat template to, beside tokenizer_config.json.</summary>
    public const string ChatTemplateFileName = "chat_template.jinja";

    public static TokenizerSettings Read(string folder)
    {
        var settings = new TokenizerSettings();
        WithJson(Path.Combine(folder, "tokenizer_config.json"), settings.ReadTokenizerConfig);
        WithJson(Path.Combine(folder, "special_tokens_map.json"), root =>
        {
            settings.BosToken ??= JsonFields.TokenContent(root, "bos_token");
            settings.EosToken ??= JsonFields.TokenContent(root, "eos_token");
            settings.PadToken ??= JsonFields.TokenContent(root, "pad_token");
        });
        WithJson(Path.Combine(folder, "generation_config.json"), settings.ReadGenerationConfig);
        string jinja = Path.Combine(folder, ChatTemplateFileName);
        if (File.Exists(jinja))
        {
            settings.ChatTemplate = File.ReadAllText(jinja);
        }

        return settings;
    }

    private void ReadTokenizerConfig(JsonElement root)
    {
        BosToken = JsonFields.TokenContent(root, "bos_token");
        EosToken = JsonFields.TokenContent(root, "eos_token");
        PadToken = JsonFields.TokenContent(root, "pad_token");
        AddBosToken = JsonFields.Optional(root, "add_bos_token").ValueKind is JsonValueKind.True or JsonValueKind.False
            ? JsonFields.OptionalBool(root, "add_bos_token", false) : null;
        AddEosToken = JsonFields.Optional(root, "add_eos_token").ValueKind is JsonValueKind.True or JsonValueKind.False
            ? JsonFields.OptionalBool(root, "add_eos_token", false) : null;

        // chat_template is a string, or a list of named templates of which "default" is the one HF uses.
        var template = JsonFields.Optional(root, "chat_template");
        ChatTemplate = template.ValueKind switch
        {
            JsonValueKind.String => template.GetString(),
            JsonValueKind.Array => template.EnumerateArray()
                .Where(t => JsonFields.OptionalString(t, "name") == "default")
                .Select(t => JsonFields.OptionalString(t, "template"))
                .FirstOrDefault(),
            _ => null,
        };

        // A list of token texts (or {"content": …} objects), or, for named tokens, an object of name → token.
        foreach (string field in new[] { "extra_special_tokens", "additional_special_tokens" })
        {
            var extra = JsonFields.Optional(root, field);
            var entries = extra.ValueKind switch
            {
                JsonValueKind.Array => extra.EnumerateArray().ToList(),
                JsonValueKind.Object => extra.EnumerateObject().Select(property => property.Value).ToList(),
                _ => [],
            };
            foreach (var entry in entries)
            {
                string? content = entry.ValueKind == JsonValueKind.String ? entry.GetString() : JsonFields.OptionalString(entry, "content");
                if (!string.IsNullOrEmpty(content) && !ExtraSpecialTokens.Contains(content))
                {
                    ExtraSpecialTokens.Add(content);
                }
            }
        }

        if (JsonFields.Optional(root, "added_tokens_decoder") is { ValueKind: JsonValueKind.Object } decoder)
        {
            foreach (var entry in decoder.EnumerateObject())
            {
                if (int.TryParse(entry.Name, out int id) && JsonFields.OptionalString(entry.Value, "content") is { } content)
                {
                    AddedTokens.Add(new AddedToken(
                        content, id,
                        JsonFields.OptionalBool(entry.Value, "special", false),
                        JsonFields.OptionalBool(entry.Value, "lstrip", false),
                        JsonFields.OptionalBool(entry.Value, "rstrip", false)));
                }
            }
        }
    }

    private void ReadGenerationConfig(JsonElement root)
    {
        var eos = JsonFields.Optional(root, "eos_token_id");
        if (eos.ValueKind == JsonValueKind.Number && eos.TryGetInt32(out int single))
        {
            GenerationEosIds.Add(single);
        }
        else if (eos.ValueKind == JsonValueKind.Array)
        {
            GenerationEosIds.AddRange(eos.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetInt32()));
        }

        if (JsonFields.Optional(root, "pad_token_id") is { ValueKind: JsonValueKind.Number } pad && pad.TryGetInt32(out int padId))
        {
            GenerationPadId = padId;
        }
    }

    private static void WithJson(string path, Action<JsonElement> read)
    {
        if (!File.Exists(path))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' must hold a JSON object.");
            }

            read(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"'{path}' has a field of the wrong kind: {e.Message}", e);
        }
    }
}
