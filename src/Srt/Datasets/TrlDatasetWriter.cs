using System.Text.Json;

namespace Srt.Datasets;

/// <summary>Writes datasets in the JSONL layouts Hugging Face TRL reads (one object per line, UTF-8, no byte-order mark).</summary>
/// <remarks>Each line also carries <c>"id"</c>; TRL's trainers drop columns they do not use.</remarks>
public static class TrlDatasetWriter
{
    /// <summary>Writes supervised examples.</summary>
    /// <param name="path">The file to write (replaced atomically).</param>
    /// <param name="records">The examples.</param>
    /// <param name="format">The layout.</param>
    /// <returns>The number of lines written.</returns>
    public static int WriteSft(string path, IEnumerable<SftRecord> records, TrlSftFormat format = TrlSftFormat.ConversationalPromptCompletion)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown TRL SFT format.");
        }

        return WriteLines(path, records.Select(record => format switch
        {
            TrlSftFormat.PromptCompletion => (object)new { id = record.Id, prompt = record.Instruction, completion = record.Completion },
            TrlSftFormat.ConversationalPromptCompletion => new
            {
                id = record.Id,
                prompt = record.PromptMessages(),
                completion = new[] { new DatasetMessage("assistant", record.Completion) },
            },
            _ => new { id = record.Id, messages = record.PromptMessages().Append(new DatasetMessage("assistant", record.Completion)) },
        }));
    }

    /// <summary>Writes preference pairs as <c>{"prompt","chosen","rejected"}</c>.</summary>
    /// <param name="path">The file to write (replaced atomically).</param>
    /// <param name="records">The pairs.</param>
    /// <param name="conversational">
    /// <see langword="true"/> writes the prompt as messages and chosen/rejected as one assistant message each (TRL
    /// applies the chat template); <see langword="false"/> writes plain strings.
    /// </param>
    /// <returns>The number of lines written.</returns>
    public static int WritePreferences(string path, IEnumerable<PreferenceRecord> records, bool conversational = true)
    {
        ArgumentNullException.ThrowIfNull(records);
        return WriteLines(path, records.Select(record => conversational
            ? (object)new
            {
                id = record.Id,
                prompt = record.PromptMessages(),
                chosen = new[] { new DatasetMessage("assistant", record.Chosen) },
                rejected = new[] { new DatasetMessage("assistant", record.Rejected) },
            }
            : new { id = record.Id, prompt = record.Instruction, chosen = record.Chosen, rejected = record.Rejected }));
    }

    internal static int WriteLines(string path, IEnumerable<object> lines)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        string temporary = fullPath + ".tmp";
        int count = 0;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            foreach (object line in lines)
            {
                stream.Write(JsonSerializer.SerializeToUtf8Bytes(line, RunJson.Options));
                stream.WriteByte((byte)'\n');
                count++;
            }
        }

        File.Move(temporary, fullPath, overwrite: true);
        return count;
    }
}
