using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Srt.Evaluation;

namespace Srt.Datasets;

/// <summary>
/// Reads instruction JSONL files: one object per line with the instruction as <c>"instruction"</c>, as TRL's
/// <c>"prompt"</c> (a string or a list of messages) or as <c>"messages"</c> (the last user message is the instruction).
/// </summary>
/// <remarks>
/// <para><c>"id"</c> (a string or a number) keys the item in the run directory. A line without one gets
/// <c>h</c> + the first 12 hex digits of the SHA-256 of its instruction, which is stable when lines move.</para>
/// <para>Evaluation sets may add <c>"reference"</c> (an answer to judge against) and <c>"answer"</c> (the exact correct
/// answer for task accuracy; <c>"expected"</c> is read too).</para>
/// <para>Errors name the file and line: malformed JSON, a missing or empty instruction, an id seen before (with the
/// line it was first seen on).</para>
/// </remarks>
public static class InstructionDataset
{
    /// <summary>Reads instructions for the loop.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <returns>The items, in file order.</returns>
    /// <exception cref="DatasetFormatException">A line cannot be read; the message names the file and line.</exception>
    public static IReadOnlyList<InstructionItem> ReadInstructions(string path) =>
        Read(path).Select(line => new InstructionItem(line.Id, line.Instruction)).ToList();

    /// <summary>Reads an evaluation set, with optional reference and expected answers.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <returns>The items, in file order.</returns>
    /// <exception cref="DatasetFormatException">A line cannot be read; the message names the file and line.</exception>
    public static IReadOnlyList<EvaluationItem> ReadEvaluationItems(string path) =>
        Read(path).Select(line => new EvaluationItem(line.Id, line.Instruction) { Reference = line.Reference, ExpectedAnswer = line.Expected }).ToList();

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

    private static List<Line> Read(string path)
    {
        string fullPath = Path.GetFullPath(path);
        var lines = new List<Line>();
        var firstSeen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((int number, JsonElement value) in JsonlLines.Read(fullPath))
        {
            string instruction = ReadInstruction(value, fullPath, number);
            if (string.IsNullOrWhiteSpace(instruction))
            {
                throw new DatasetFormatException(fullPath, number, "the instruction is empty.");
            }

            string id = ReadId(value, fullPath, number) ?? ContentId(instruction);
            if (firstSeen.TryGetValue(id, out int first))
            {
                throw new DatasetFormatException(fullPath, number, $"duplicate id '{id}': first seen on line {first}. Ids must be unique (a line without an id gets one from its instruction, so identical instructions collide).");
            }

            firstSeen[id] = number;
            string? expected = JsonlLines.OptionalString(value, "answer", fullPath, number) ?? JsonlLines.OptionalString(value, "expected", fullPath, number);
            lines.Add(new Line(id, instruction, JsonlLines.OptionalString(value, "reference", fullPath, number), expected));
        }

        return lines;
    }

    private static string ReadInstruction(JsonElement value, string path, int number)
    {
        if (JsonlLines.OptionalString(value, "instruction", path, number) is string instruction)
        {
            return instruction;
        }

        foreach (string field in (string[])["prompt", "messages"])
        {
            if (!value.TryGetProperty(field, out var element))
            {
                continue;
            }

            return element.ValueKind switch
            {
                JsonValueKind.String when field == "prompt" => element.GetString()!,
                JsonValueKind.Array => DatasetMessages.LastUserMessage(DatasetMessages.Read(element, field, path, number), field, path, number),
                _ => throw new DatasetFormatException(path, number, $"the field '{field}' must be {(field == "prompt" ? "a string or " : string.Empty)}a list of messages, not {element.ValueKind}."),
            };
        }

        throw new DatasetFormatException(path, number, "no instruction: expected a string field 'instruction', a field 'prompt' (string or messages) or a field 'messages'.");
    }

    private static string? ReadId(JsonElement value, string path, int number)
    {
        if (!value.TryGetProperty("id", out var id) || id.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string? text = id.ValueKind switch
        {
            JsonValueKind.String => id.GetString(),
            JsonValueKind.Number => id.GetRawText(),
            _ => throw new DatasetFormatException(path, number, $"the field 'id' must be a string or a number, not {id.ValueKind}."),
        };
        return string.IsNullOrWhiteSpace(text) ? throw new DatasetFormatException(path, number, "the field 'id' is empty.") : text.ToString(CultureInfo.InvariantCulture);
    }

    private sealed record Line(string Id, string Instruction, string? Reference, string? Expected);
}
