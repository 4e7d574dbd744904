using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Srt;

/// <summary>The serializer settings of every file in a run directory.</summary>
internal static class RunJson
{
    /// <summary>Gets the settings: camelCase names, enums as strings, nulls omitted, non-ASCII text kept readable.</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>Gets the same settings, indented, for single-document files such as <c>run.json</c>.</summary>
    public static JsonSerializerOptions IndentedOptions { get; } = Create(indented: true);

    /// <summary>Writes one JSON document atomically: to a temporary file first, then renamed over the target.</summary>
    public static void WriteDocument<T>(string path, T value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(value, IndentedOptions) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads one JSON document, or returns <see langword="null"/> when the file does not exist.</summary>
    public static T? ReadDocument<T>(string path)
        where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), IndentedOptions);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{path}: not a valid {typeof(T).Name} document: {exception.Message}", exception);
        }
    }

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,

            // A training run with no steps reports NaN loss; keep it rather than fail the write.
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
