using System.Text.Json;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>Reads required and optional JSON fields with errors that name the file and the field.</summary>
internal static class JsonFields
{
    public static JsonElement Required(JsonElement element, string name, string fileName, string path)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            throw new InvalidDataException($"'{fileName}': missing field '{path}.{name}'.");
        }

        return value;
    }

    public static string RequiredString(JsonElement element, string name, string fileName, string path)
    {
        var value = Required(element, name, fileName, path);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"'{fileName}': field '{path}.{name}' must be a string, not {value.ValueKind}.");
    }

    public static JsonElement Optional(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    public static bool OptionalBool(JsonElement element, string name, bool fallback)
    {
        var value = Optional(element, name);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => fallback,
        };
    }

    public static string? OptionalString(JsonElement element, string name)
    {
        var value = Optional(element, name);
        return value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>A token given either as a string or as an object with a <c>content</c> field.</summary>
    public static string? TokenContent(JsonElement element, string name)
    {
        var value = Optional(element, name);
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => OptionalString(value, "content"),
            _ => null,
        };
    }
}
