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

    /// <summary>
    /// Writes what TRL needs to run stage 1 on a GPU machine or cluster: the dataset (<c>train.jsonl</c>,
    /// conversational prompt-completion), <c>sft.yaml</c> for <c>trl sft --config</c> with the paper's settings, and
    /// <c>accelerate.yaml</c> for the chosen profile. Run <see cref="TrlExport.Command"/> from the folder.
    /// </summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="folder">The export folder, created when missing; its files are replaced.</param>
    /// <param name="options">The model, hardware profile and training settings; validated.</param>
    /// <returns>The paths written, the example count and the command.</returns>
    /// <exception cref="FileNotFoundException">Stage 1 has not written its examples yet.</exception>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is invalid.</exception>
    public static TrlExport ExportStageOneForTrl(string runDirectory, string folder, TrlExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IReadOnlyList<SftRecord> records = ReadStageOne(runDirectory);
        return WriteTrlFolder(folder, "sft", TrlConfigFiles.StageOne(options), options, dataset => TrlDatasetWriter.WriteSft(dataset, records));
    }

    /// <summary>
    /// Writes what TRL needs to run stage 2: the preference pairs (<c>train.jsonl</c>, conversational),
    /// <c>dpo.yaml</c> for <c>trl dpo --config</c> (β = 0.01, learning rate 5e-7, 1 epoch) and <c>accelerate.yaml</c>.
    /// Set <see cref="TrlExportOptions.ModelNameOrPath"/> to the stage-1 model.
    /// </summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="folder">The export folder, created when missing; its files are replaced.</param>
    /// <param name="options">The model, hardware profile and training settings; validated.</param>
    /// <returns>The paths written, the pair count and the command.</returns>
    /// <exception cref="FileNotFoundException">Stage 2 has not written its pairs yet.</exception>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is invalid.</exception>
    public static TrlExport ExportStageTwoForTrl(string runDirectory, string folder, TrlExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IReadOnlyList<PreferenceRecord> records = ReadStageTwo(runDirectory);
        return WriteTrlFolder(folder, "dpo", TrlConfigFiles.StageTwo(options), options, dataset => TrlDatasetWriter.WritePreferences(dataset, records));
    }

    /// <summary>Reads stage 1's supervised sequences as <see cref="SftRecord"/>s.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <returns>The records, in item order.</returns>
    public static IReadOnlyList<SftRecord> ReadStageOne(string runDirectory)
    {
        string file = Require(RunLayout.StageFolder(runDirectory, 1), RunLayout.ExamplesFileName, "stage 1");
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
        string file = Require(RunLayout.StageFolder(runDirectory, 2), RunLayout.PairsFileName, "stage 2");
        using var store = new JsonlStore<PairRecord>(file);
        return store.ReadAll().Select(pair => new PreferenceRecord(pair.Id, pair.SystemPrompt, pair.Instruction, pair.Chosen, pair.Rejected)).ToList();
    }

    private static TrlExport WriteTrlFolder(string folder, string trainer, string config, TrlExportOptions options, Func<string, int> writeDataset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        string dataset = Path.Combine(root, TrlConfigFiles.DatasetFileName);
        int count = writeDataset(dataset);
        string configPath = Path.Combine(root, trainer + ".yaml");
        File.WriteAllText(configPath, config);
        string acceleratePath = Path.Combine(root, TrlConfigFiles.AccelerateFileName);
        File.WriteAllText(acceleratePath, TrlConfigFiles.Accelerate(options));
        return new TrlExport(root, dataset, configPath, acceleratePath, count, TrlConfigFiles.Command(trainer, trainer + ".yaml"));
    }

    private static string Require(string folder, string name, string stage)
    {
        string file = Path.Combine(folder, name);
        return File.Exists(file)
            ? file
            : throw new FileNotFoundException($"{file} does not exist: {stage} has not settled its items in this run directory yet.", file);
    }
}
