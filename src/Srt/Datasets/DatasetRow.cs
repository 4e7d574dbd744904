using System.Text.Json;

namespace Srt.Datasets;

/// <summary>
/// One record of a dataset file, as a JSON object, with where it came from: a line of a JSONL file, or a row of a
/// JSON array or Parquet file. Errors about the record are made here, so they all name the file, the line or row and,
/// where one is at fault, the column.
/// </summary>
internal readonly record struct DatasetRow(string Path, int Number, bool IsLine, JsonElement Value)
{
    public static DatasetRow Line(string path, int number, JsonElement value) => new(path, number, IsLine: true, value);

    /// <summary>The error for this record.</summary>
    public DatasetFormatException Error(string problem, string? column = null, Exception? innerException = null) =>
        new(Path, Number, IsLine, column, problem, innerException);

    /// <summary>Reads an optional string column; throws when it is there but not a string.</summary>
    public string? OptionalString(string column)
    {
        if (!Value.TryGetProperty(column, out var field) || field.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return field.ValueKind == JsonValueKind.String
            ? field.GetString()
            : throw Error($"the field '{column}' must be a string, not {field.ValueKind}.", column);
    }

    /// <summary>Reads an optional id column (a string or a number); throws when it is there but empty or of another kind.</summary>
    public string? OptionalId(string column)
    {
        if (!Value.TryGetProperty(column, out var id) || id.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string? text = id.ValueKind switch
        {
            JsonValueKind.String => id.GetString(),
            JsonValueKind.Number => id.GetRawText(),
            _ => throw Error($"the field '{column}' must be a string or a number, not {id.ValueKind}.", column),
        };
        return string.IsNullOrWhiteSpace(text) ? throw Error($"the field '{column}' is empty.", column) : text;
    }
}
