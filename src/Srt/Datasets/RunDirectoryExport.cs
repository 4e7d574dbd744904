namespace Srt.Datasets;

/// <summary>
/// Exports a run directory's training data for Hugging Face TRL: stage 1's supervised sequences
/// (<c>stage1/examples.jsonl</c>) for <c>SFTTrainer</c> and stage 2's pairs (<c>stage2/pairs.jsonl</c>) for
/// <c>DPOTrainer</c>. See docs/scale-out.md for the round trip.
/// </summary>
public static class RunDirectoryExport
{
    /// <summary>Exports stage 1's supervised sequences; the completion is the concatenated segments (response → feedback → refinement).</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="path">The JSONL file to write.</param>
    /// <param name="format">The layout.</param>
    /// <returns>The number of examples written.</returns>
    /// <exception cref="FileNotFoundException">Stage 1 has not written its examples yet.</exception>
    /// <exception cref="InvalidOperationException">A sequence masks part of its completion, which TRL cannot express.</exception>
    public static int ExportStageOne(string runDirectory, string path, TrlSftFormat format = TrlSftFormat.ConversationalPromptCompletion) =>
        TrlDatasetWriter.WriteSft(path, ReadStageOne(runDirectory), format);

    /// <summary>Exports stage 2's preference pairs.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="path">The JSONL file to write.</param>
    /// <param name="conversational">Whether to write messages (the default) or plain strings.</param>
    /// <returns>The number of pairs written.</returns>
    /// <exception cref="FileNotFoundException">Stage 2 has not written its pairs yet.</exception>
    public static int ExportStageTwo(string runDirectory, string path, bool conversational = true) =>
        TrlDatasetWriter.WritePreferences(path, ReadStageTwo(runDirectory), conversational);

    /// <summary>Reads stage 1's supervised sequences as <see cref="SftRecord"/>s.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <returns>The records, in item order.</returns>
    public static IReadOnlyList<SftRecord> ReadStageOne(string runDirectory)
    {
        string file = Require(new RunDirectory(runDirectory).StageOne, "examples.jsonl", "stage 1");
        using var store = new JsonlStore<ExampleRecord>(file);
        return store.ReadAll().Select(example =>
        {
            if (example.Completion.Any(segment => !segment.IsTrained))
            {
                throw new InvalidOperationException(
                    $"{file}: example '{example.Id}' masks part of its completion; TRL's prompt-completion data trains on the whole completion.");
            }

            return new SftRecord(example.Id, example.SystemPrompt, example.Instruction, string.Concat(example.Completion.Select(segment => segment.Text)));
        }).ToList();
    }

    /// <summary>Reads stage 2's preference pairs as <see cref="PreferenceRecord"/>s.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <returns>The records, in item order.</returns>
    public static IReadOnlyList<PreferenceRecord> ReadStageTwo(string runDirectory)
    {
        string file = Require(new RunDirectory(runDirectory).StageTwo, "pairs.jsonl", "stage 2");
        using var store = new JsonlStore<PairRecord>(file);
        return store.ReadAll().Select(pair => new PreferenceRecord(pair.Id, pair.SystemPrompt, pair.Instruction, pair.Chosen, pair.Rejected)).ToList();
    }

    private static string Require(string folder, string name, string stage)
    {
        string file = Path.Combine(folder, name);
        return File.Exists(file)
            ? file
            : throw new FileNotFoundException($"{file} does not exist: {stage} has not settled its items in this run directory yet.", file);
    }
}
