using System.Text;
using System.Text.Json;

namespace Srt.Datasets;

/// <summary>
/// Reads the records of a dataset file as JSON objects, whatever its kind: JSON Lines (<c>.jsonl</c>, <c>.ndjson</c>),
/// a JSON array (<c>.json</c>; a <c>.json</c> file that does not start with <c>[</c> is read as JSON Lines, as
/// Hugging Face's <c>datasets</c> does) or Parquet (<c>.parquet</c>, or any file that starts with Parquet's magic bytes).
/// </summary>
internal static class DatasetRows
{
    public static IEnumerable<DatasetRow> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The dataset file {fullPath} does not exist.", fullPath);
        }

        return KindOf(fullPath) switch
        {
            Kind.Parquet => ParquetRows.Read(fullPath),
            Kind.JsonArray => ReadJsonArray(fullPath),
            _ => JsonlLines.Read(fullPath).Select(line => DatasetRow.Line(fullPath, line.LineNumber, line.Value)),
        };
    }

    private static Kind KindOf(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".jsonl" or ".ndjson")
        {
            return Kind.JsonLines;
        }

        if (extension == ".parquet" || StartsWith(path, "PAR1"u8))
        {
            return Kind.Parquet;
        }

        return FirstNonWhitespace(path) == '[' ? Kind.JsonArray : Kind.JsonLines;
    }

    private static IEnumerable<DatasetRow> ReadJsonArray(string path)
    {
        JsonElement root;
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = false });
            root = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            int line = (int)(exception.LineNumber ?? 0) + 1;
            throw new DatasetFormatException(path, line, $"not valid JSON: {exception.Message}", exception);
        }

        int row = 0;
        foreach (var element in root.EnumerateArray())
        {
            row++;
            var record = new DatasetRow(path, row, IsLine: false, element);
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw record.Error($"expected a JSON object, found {element.ValueKind}.");
            }

            yield return record;
        }
    }

    private static bool StartsWith(string path, ReadOnlySpan<byte> magic)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[magic.Length];
        return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head.SequenceEqual(magic);
    }

    private static char FirstNonWhitespace(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        int next;
        while ((next = reader.Read()) >= 0)
        {
            if (!char.IsWhiteSpace((char)next))
            {
                return (char)next;
            }
        }

        return '\0';
    }

    private enum Kind
    {
        JsonLines,
        JsonArray,
        Parquet,
    }
}
