using System.Text.Json;

namespace Srt.Datasets;

/// <summary>Reads a JSONL dataset file line by line, as JSON objects with their line numbers; blank lines are skipped.</summary>
internal static class JsonlLines
{
    public static IEnumerable<(int LineNumber, JsonElement Value)> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The dataset file {fullPath} does not exist.", fullPath);
        }

        int lineNumber = 0;
        foreach (string line in File.ReadLines(fullPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement value;
            try
            {
                using var document = JsonDocument.Parse(line);
                value = document.RootElement.Clone();
            }
            catch (JsonException exception)
            {
                throw new DatasetFormatException(fullPath, lineNumber, $"not valid JSON: {exception.Message}", exception);
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(fullPath, lineNumber, $"expected a JSON object, found {value.ValueKind}.");
            }

            yield return (lineNumber, value);
        }
    }

    /// <summary>Reads an optional string field; throws when it is there but not a string.</summary>
    public static string? OptionalString(JsonElement value, string name, string path, int lineNumber)
    {
        if (!value.TryGetProperty(name, out var field) || field.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return field.ValueKind == JsonValueKind.String
            ? field.GetString()
            : throw new DatasetFormatException(path, lineNumber, $"the field '{name}' must be a string, not {field.ValueKind}.");
    }

    /// <summary>Reads a required string field, or a message list's single assistant content (TRL's conversational form).</summary>
    public static string RequiredText(JsonElement value, string name, string path, int lineNumber)
    {
        if (!value.TryGetProperty(name, out var field))
        {
            throw new DatasetFormatException(path, lineNumber, $"the field '{name}' is missing.");
        }

        if (field.ValueKind == JsonValueKind.String)
        {
            return field.GetString()!;
        }

        if (field.ValueKind == JsonValueKind.Array)
        {
            var messages = DatasetMessages.Read(field, name, DatasetRow.Line(path, lineNumber, value));
            return messages.LastOrDefault(m => m.Role == "assistant")?.Content
                ?? throw new DatasetFormatException(path, lineNumber, $"the messages of '{name}' hold no assistant message.");
        }

        throw new DatasetFormatException(path, lineNumber, $"the field '{name}' must be a string or a list of messages, not {field.ValueKind}.");
    }
}
