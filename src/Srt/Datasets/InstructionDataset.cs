using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Srt.Evaluation;

namespace Srt.Datasets;

/// <summary>
/// Reads instruction sets as users have them: JSON Lines, JSON arrays and Parquet files, in the layouts of Alpaca,
/// ShareGPT, UltraFeedback, AlpacaEval and TRL (see <see cref="InstructionColumns"/>).
/// </summary>
/// <remarks>
/// <para>The file kind comes from the extension (<c>.jsonl</c>, <c>.ndjson</c>, <c>.json</c>, <c>.parquet</c>) and the
/// first bytes: a <c>.json</c> file that does not start with <c>[</c> is JSON Lines, as in Hugging Face's
/// <c>datasets</c>.</para>
/// <para>By default (<see cref="InstructionColumns.Detect"/>) each record's instruction is the first of
/// <c>instruction</c> (plus Alpaca's <c>input</c> after a blank line when not empty), <c>prompt</c> (a string, or
/// messages), <c>messages</c> and ShareGPT's <c>conversations</c>; a message list contributes its last user message.
/// The id is <c>id</c> or <c>prompt_id</c> (a string or a number); a record without one gets <c>h</c> + the first 12
/// hex digits of the SHA-256 of its instruction, which is stable when records move.</para>
/// <para>Evaluation sets may add a reference answer to judge against (<c>reference</c>, or <c>output</c> as in
/// AlpacaEval) and the exact answer for task accuracy (<c>answer</c> or <c>expected</c>).</para>
/// <para>Errors name the file, the line (JSON Lines) or row (JSON arrays, Parquet) and the column: malformed JSON, a
/// missing or empty instruction, a column of the wrong kind, an id seen before (with where it was first seen).</para>
/// </remarks>
public static class InstructionDataset
{
    /// <summary>Reads instructions for the loop.</summary>
    /// <param name="path">The JSONL, JSON or Parquet file.</param>
    /// <param name="columns">Which columns hold what; the default finds them by their common names.</param>
    /// <returns>The items, in file order.</returns>
    /// <exception cref="DatasetFormatException">A record cannot be read; the message names the file, the line or row, and the column.</exception>
    public static IReadOnlyList<InstructionItem> ReadInstructions(string path, InstructionColumns? columns = null) =>
        Read(path, columns ?? InstructionColumns.Detect).Select(line => new InstructionItem(line.Id, line.Instruction)).ToList();

    /// <summary>Reads an evaluation set, with optional reference and expected answers.</summary>
    /// <param name="path">The JSONL, JSON or Parquet file.</param>
    /// <param name="columns">Which columns hold what; the default finds them by their common names.</param>
    /// <returns>The items, in file order.</returns>
    /// <exception cref="DatasetFormatException">A record cannot be read; the message names the file, the line or row, and the column.</exception>
    public static IReadOnlyList<EvaluationItem> ReadEvaluationItems(string path, InstructionColumns? columns = null) =>
        Read(path, columns ?? InstructionColumns.Detect).Select(line => new EvaluationItem(line.Id, line.Instruction) { Reference = line.Reference, ExpectedAnswer = line.Expected }).ToList();

    /// <summary>Writes instructions as <c>{"id","instruction"}</c> lines.</summary>
    /// <param name="path">The file to write (replaced).</param>
    /// <param name="items">The items.</param>
    public static void WriteInstructions(string path, IEnumerable<InstructionItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        TrlDatasetWriter.WriteLines(path, items.Select(item => (object)new { id = item.Id, instruction = item.Instruction }));
    }

    /// <summary>The id a line without one gets.</summary>
    /// <param name="instruction">The instruction.</param>
    /// <returns>The id.</returns>
    public static string ContentId(string instruction) =>
        "h" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(instruction)))[..12];

    private static List<Line> Read(string path, InstructionColumns columns)
    {
        var lines = new List<Line>();
        var firstSeen = new Dictionary<string, (int Number, bool IsLine)>(StringComparer.Ordinal);
        foreach (var row in DatasetRows.Read(path))
        {
            string instruction = ReadInstruction(row, columns);
            if (string.IsNullOrWhiteSpace(instruction))
            {
                throw row.Error("the instruction is empty.", columns.Instruction);
            }

            string id = FirstPresent(row, columns.Id, "id", "prompt_id", row.OptionalId) ?? ContentId(instruction);
            if (firstSeen.TryGetValue(id, out var first))
            {
                throw row.Error($"duplicate id '{id}': first seen on {(first.IsLine ? "line" : "row")} {first.Number}. Ids must be unique (a record without an id gets one from its instruction, so identical instructions collide).");
            }

            firstSeen[id] = (row.Number, row.IsLine);
            string? reference = FirstPresent(row, columns.Reference, "reference", "output", row.OptionalString);
            string? expected = FirstPresent(row, columns.Answer, "answer", "expected", row.OptionalString);
            lines.Add(new Line(id, instruction, reference, expected));
        }

        return lines;
    }

    private static string ReadInstruction(DatasetRow row, InstructionColumns columns)
    {
        if (columns.Instruction is { } named)
        {
            return row.Value.TryGetProperty(named, out _)
                ? ReadInstructionColumn(row, named, columns.Input)
                : throw row.Error($"the column '{named}' is missing.", named);
        }

        foreach (string column in (string[])["instruction", "prompt", "messages", "conversations"])
        {
            if (row.Value.TryGetProperty(column, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                return ReadInstructionColumn(row, column, columns.Input ?? (column == "instruction" ? "input" : null));
            }
        }

        throw row.Error("no instruction: expected a string column 'instruction', a column 'prompt' (a string or messages), 'messages' or ShareGPT's 'conversations'.");
    }

    private static string ReadInstructionColumn(DatasetRow row, string column, string? inputColumn)
    {
        var value = row.Value.GetProperty(column);
        string instruction = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Array => DatasetMessages.LastUserMessage(DatasetMessages.Read(value, column, row), column, row),
            _ => throw row.Error($"the column '{column}' must be a string or a list of messages, not {value.ValueKind}.", column),
        };
        string? input = inputColumn is null ? null : row.OptionalString(inputColumn);
        return string.IsNullOrWhiteSpace(input) ? instruction : instruction + "\n\n" + input;
    }

    private static string? FirstPresent(DatasetRow row, string? named, string common, string fallback, Func<string, string?> read) =>
        named is not null ? read(named) : read(common) ?? read(fallback);

    private sealed record Line(string Id, string Instruction, string? Reference, string? Expected);
}
