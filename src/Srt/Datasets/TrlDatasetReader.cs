using System.Text.Json;

namespace Srt.Datasets;

/// <summary>Reads TRL datasets back: any of the <see cref="TrlSftFormat"/> layouts, and preference pairs in plain or conversational form.</summary>
/// <remarks>A line without <c>"id"</c> gets one from its instruction (see <see cref="InstructionDataset.ContentId"/>). Errors name the file and line.</remarks>
public static class TrlDatasetReader
{
    /// <summary>Reads supervised examples; each line may use any of the three layouts.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <returns>The examples, in file order.</returns>
    /// <exception cref="DatasetFormatException">A line cannot be read.</exception>
    public static IReadOnlyList<SftRecord> ReadSft(string path)
    {
        string fullPath = Path.GetFullPath(path);
        var records = new List<SftRecord>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((int number, JsonElement value) in JsonlLines.Read(fullPath))
        {
            SftRecord record;
            if (value.TryGetProperty("messages", out var messagesField) && messagesField.ValueKind == JsonValueKind.Array)
            {
                var messages = DatasetMessages.Read(messagesField, "messages", DatasetRow.Line(fullPath, number, value));
                int last = messages.FindLastIndex(m => m.Role == "assistant");
                if (last < 0)
                {
                    throw new DatasetFormatException(fullPath, number, "the messages hold no assistant message to train on.");
                }

                string instruction = DatasetMessages.LastUserMessage(messages[..last], "messages", DatasetRow.Line(fullPath, number, value));
                record = new SftRecord(string.Empty, DatasetMessages.SystemMessage(messages), instruction, messages[last].Content);
            }
            else
            {
                (string? system, string instruction) = ReadPrompt(value, fullPath, number);
                record = new SftRecord(string.Empty, system, instruction, JsonlLines.RequiredText(value, "completion", fullPath, number));
            }

            records.Add(record with { Id = UniqueId(value, record.Instruction, seen, fullPath, number) });
        }

        return records;
    }

    /// <summary>Reads preference pairs <c>{"prompt","chosen","rejected"}</c>, plain or conversational.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <returns>The pairs, in file order.</returns>
    /// <exception cref="DatasetFormatException">A line cannot be read.</exception>
    public static IReadOnlyList<PreferenceRecord> ReadPreferences(string path)
    {
        string fullPath = Path.GetFullPath(path);
        var records = new List<PreferenceRecord>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((int number, JsonElement value) in JsonlLines.Read(fullPath))
        {
            (string? system, string instruction) = ReadPrompt(value, fullPath, number);
            string chosen = JsonlLines.RequiredText(value, "chosen", fullPath, number);
            string rejected = JsonlLines.RequiredText(value, "rejected", fullPath, number);
            records.Add(new PreferenceRecord(UniqueId(value, instruction, seen, fullPath, number), system, instruction, chosen, rejected));
        }

        return records;
    }

    private static (string? System, string Instruction) ReadPrompt(JsonElement value, string path, int number)
    {
        if (!value.TryGetProperty("prompt", out var prompt))
        {
            throw new DatasetFormatException(path, number, "the field 'prompt' is missing (expected prompt/completion, prompt/chosen/rejected or messages).");
        }

        (string? system, string instruction) = prompt.ValueKind switch
        {
            JsonValueKind.String => (null, prompt.GetString()!),
            JsonValueKind.Array => ReadPromptMessages(prompt, DatasetRow.Line(path, number, value)),
            _ => throw new DatasetFormatException(path, number, $"the field 'prompt' must be a string or a list of messages, not {prompt.ValueKind}."),
        };
        return string.IsNullOrWhiteSpace(instruction) ? throw new DatasetFormatException(path, number, "the prompt is empty.") : (system, instruction);
    }

    private static (string? System, string Instruction) ReadPromptMessages(JsonElement prompt, DatasetRow row)
    {
        var messages = DatasetMessages.Read(prompt, "prompt", row);
        return (DatasetMessages.SystemMessage(messages), DatasetMessages.LastUserMessage(messages, "prompt", row));
    }

    private static string UniqueId(JsonElement value, string instruction, Dictionary<string, int> seen, string path, int number)
    {
        string id = JsonlLines.OptionalString(value, "id", path, number) ?? InstructionDataset.ContentId(instruction);
        if (seen.TryGetValue(id, out int first))
        {
            throw new DatasetFormatException(path, number, $"duplicate id '{id}': first seen on line {first}.");
        }

        seen[id] = number;
        return id;
    }
}
