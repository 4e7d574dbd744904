using System.Globalization;

namespace Srt;

/// <summary>
/// One stage's side of <see cref="PolicyBatchFiles"/>: which items still need an answer (the loop's own rule:
/// not stored, and not an earlier failure unless failures are retried), and where answers and failures go
/// (<c>stage1/responses.jsonl</c> or <c>stage2/outputs.jsonl</c>, and the stage's <c>failures.jsonl</c>).
/// </summary>
internal sealed class PolicyBatchStage
{
    private readonly SelfRefinementOptions _options;
    private readonly int _stage;
    private readonly string _folder;
    private readonly string _weights;

    private PolicyBatchStage(SelfRefinementOptions options, int stage)
    {
        _options = options;
        _stage = stage;
        var run = new RunDirectory(options.RunDirectory!);
        _folder = stage == 1 ? run.StageOne : run.StageTwo;

        // The weights the engine serves, as the loop names them: stage 1 samples the base model, stage 2 the stage-1 model.
        _weights = stage == 1
            ? TrainingMarker.BaseWeights
            : PolicyWeights.ReadMarker(run.StageOne)?.WeightsId ?? TrainingMarker.BaseWeights;
    }

    private string AnswerFile => Path.Combine(_folder, _stage == 1 ? RunLayout.ResponsesFileName : RunLayout.OutputsFileName);

    private string FailureFile => Path.Combine(_folder, RunLayout.FailuresFileName);

    public static PolicyBatchStage Open(SelfRefinementOptions options, int stage)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new PolicyBatchStage(options, stage);
    }

    public PolicyBatchRequests WriteRequests(IEnumerable<InstructionItem> items, string requestFile, string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestFile);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        IReadOnlyList<InstructionItem> list = InstructionItem.Validate(items, nameof(items));
        Dictionary<string, string> stored = ReadStoredInstructions(list);
        HashSet<string> earlierFailures = ReadFailureIds();
        List<InstructionItem> toGenerate = ToGenerate(list, stored, earlierFailures);

        // The same batches, in the same order, as the loop's PolicyBatches: the seed of a prompt is base + its index in its batch.
        GenerationOptions generation = _options.CreateGenerationOptions(_stage);
        string path = Path.GetFullPath(requestFile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        {
            foreach (InstructionItem[] batch in toGenerate.Chunk(_options.GenerationBatchSize))
            {
                for (int index = 0; index < batch.Length; index++)
                {
                    var prompt = PolicyPrompt.Create(_options.SystemPrompt, batch[index].Instruction);
                    PolicyBatchLines.WriteRequest(stream, batch[index].Id, prompt, PolicyRequests.CreateChatOptions(model, generation, index));
                }
            }
        }

        File.Move(temporary, path, overwrite: true);
        int notRetried = list.Count(item => !stored.ContainsKey(item.Id) && earlierFailures.Contains(item.Id) && !_options.RetryFailedItems);
        return new PolicyBatchRequests(path, toGenerate.Count, list.Count(item => stored.ContainsKey(item.Id)), notRetried);
    }

    public PolicyBatchResults ReadResults(IEnumerable<InstructionItem> items, string outputFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFile);
        IReadOnlyList<InstructionItem> list = InstructionItem.Validate(items, nameof(items));
        if (!File.Exists(outputFile))
        {
            throw new FileNotFoundException($"{outputFile} does not exist: run the batch (vllm run-batch -i <requests> -o {outputFile} --model <model>) first.", outputFile);
        }

        Dictionary<string, string> stored = ReadStoredInstructions(list);
        var byId = list.ToDictionary(item => item.Id, StringComparer.Ordinal);
        var failures = new List<ItemFailure>();
        int imported = 0;
        int alreadyStored = 0;
        using (IDisposable answers = OpenAnswerStore(out Action<InstructionItem, PolicyCompletion> store))
        using (var failureStore = new JsonlStore<FailureRecord>(FailureFile))
        {
            foreach ((int line, string customId, PolicyCompletion completion) in PolicyBatchLines.ReadOutputs(outputFile))
            {
                if (!byId.TryGetValue(customId, out InstructionItem? item))
                {
                    throw new InvalidDataException(
                        string.Create(CultureInfo.InvariantCulture, $"{outputFile}, line {line}: custom_id '{customId}' is not an item of stage {_stage}; was the file written for other items or the other stage?"));
                }

                if (stored.ContainsKey(item.Id))
                {
                    alreadyStored++;
                    continue;
                }

                if (completion.FinishReason == CompletionFinishReason.Failed)
                {
                    var exception = new PolicyCompletionFailedException(completion.Error ?? "The engine wrote no completion.");
                    string reason = $"{exception.GetType().Name}: {exception.Message}";
                    failureStore.Append(new FailureRecord(item.Id, StagePhase.Generating, reason, exception.GetType().FullName, DateTimeOffset.UtcNow));
                    failures.Add(new ItemFailure(item.Id, StagePhase.Generating, reason));
                    continue;
                }

                store(item, completion);
                stored[item.Id] = item.Instruction;
                imported++;
            }
        }

        int missing = ToGenerate(list, stored, ReadFailureIds()).Count;
        return new PolicyBatchResults(imported, alreadyStored, failures, missing);
    }

    private List<InstructionItem> ToGenerate(IReadOnlyList<InstructionItem> items, Dictionary<string, string> stored, HashSet<string> earlierFailures) =>
        items.Where(item => !stored.ContainsKey(item.Id) && (_options.RetryFailedItems || !earlierFailures.Contains(item.Id))).ToList();

    /// <summary>Opens the stage's answer file with the record the loop itself writes there.</summary>
    private IDisposable OpenAnswerStore(out Action<InstructionItem, PolicyCompletion> append)
    {
        if (_stage == 1)
        {
            var responses = new JsonlStore<ResponseRecord>(AnswerFile);
            append = (item, completion) => responses.Append(
                new ResponseRecord(item.Id, item.Instruction, completion.Text, completion.FinishReason, completion.PromptTokens, completion.CompletionTokens, _weights));
            return responses;
        }

        var outputs = new JsonlStore<PolicyOutputRecord>(AnswerFile);
        append = (item, completion) => outputs.Append(
            new PolicyOutputRecord(item.Id, item.Instruction, completion.Text, completion.FinishReason, completion.PromptTokens, completion.CompletionTokens, _weights));
        return outputs;
    }

    /// <summary>Reads the stored answers' instructions by id, refusing an id stored for a different instruction (as the loop does).</summary>
    private Dictionary<string, string> ReadStoredInstructions(IReadOnlyList<InstructionItem> items)
    {
        Dictionary<string, string> stored;
        // Answers that other weights wrote count as missing, as they do for the loop: they are asked for again.
        if (_stage == 1)
        {
            using var store = new JsonlStore<ResponseRecord>(AnswerFile);
            Dictionary<string, ResponseRecord> records = StoredRecords.ById(store, record => record.Id);
            StoredRecords.RemoveOtherWeights(records, record => record.Weights, _weights, TrainingMarker.BaseWeights);
            stored = records.ToDictionary(pair => pair.Key, pair => pair.Value.Instruction, StringComparer.Ordinal);
        }
        else
        {
            using var store = new JsonlStore<PolicyOutputRecord>(AnswerFile);
            Dictionary<string, PolicyOutputRecord> records = StoredRecords.ById(store, record => record.Id);
            StoredRecords.RemoveOtherWeights(records, record => record.Weights, _weights, TrainingMarker.BaseWeights);
            stored = records.ToDictionary(pair => pair.Key, pair => pair.Value.Instruction, StringComparer.Ordinal);
        }

        StoredRecords.CheckInstructions(items, stored, instruction => instruction, AnswerFile);
        return stored;
    }

    private HashSet<string> ReadFailureIds()
    {
        using var store = new JsonlStore<FailureRecord>(FailureFile);
        return store.ReadAll().Select(failure => failure.Id).ToHashSet(StringComparer.Ordinal);
    }
}
