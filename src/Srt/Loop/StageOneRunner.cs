using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Stage 1 over a run directory: sample responses in batches and, while later batches generate, hand each response
/// to <see cref="StageOneItemProcessor"/> (critique, filters, separate scoring, sequence) with at most
/// <see cref="SelfRefinementOptions.MaxConcurrentCriticCalls"/> items in flight; then write the outcomes and
/// sequences and train. Responses are appended as they arrive, so a rerun generates only what is missing.
/// </summary>
internal sealed class StageOneRunner : IDisposable
{
    private const int Stage = 1;
    private readonly IPolicyModel _policy;
    private readonly SelfRefinementOptions _options;
    private readonly ILogger _logger;
    private readonly string _folder;
    private readonly JsonlStore<ResponseRecord> _responseStore;
    private readonly Dictionary<string, ResponseRecord> _responses;
    private readonly StageOneItemProcessor _processor;
    private readonly PolicyWeights _weights;
    private readonly BatchingCritic? _batching;

    public StageOneRunner(
        IPolicyModel policy, ICritic critic, IRefiner? refiner, SelfRefinementFormat format, SelfRefinementOptions options, RunDirectory run, PolicyWeights weights, ILogger logger)
    {
        _policy = policy;
        _weights = weights;
        _options = options;
        _logger = logger;
        _folder = run.StageOne;
        _responseStore = new(Path.Combine(_folder, RunLayout.ResponsesFileName), logger: logger);
        _responses = StoredRecords.ById(_responseStore, record => record.Id);
        if (options.CritiqueInBatches)
        {
            var batchCritic = critic.GetService(typeof(IBatchCritic)) as IBatchCritic
                ?? throw new InvalidOperationException(
                    $"{nameof(SelfRefinementOptions.CritiqueInBatches)} is set, but the critic ({critic.GetType().Name}) offers no {nameof(IBatchCritic)}; use a critic with a batch mode, such as the OpenAI batch critic.");
            _batching = new BatchingCritic(batchCritic, Path.Combine(_folder, RunLayout.BatchesFolderName), logger);
        }

        _processor = new StageOneItemProcessor(_batching ?? critic, refiner, format, options, _folder, logger);
    }

    public async Task<StageOneResult> RunAsync(
        IReadOnlyList<InstructionItem> items,
        ITrainer trainer,
        IProgress<StageProgress>? progress,
        CancellationToken cancellationToken)
    {
        StoredRecords.CheckInstructions(items, _responses, record => record.Instruction, _responseStore.FilePath);

        // Stage-1 responses come from the weights the policy started with; any others are answered again.
        int stale = StoredRecords.RemoveOtherWeights(_responses, record => record.Weights, TrainingMarker.BaseWeights, TrainingMarker.BaseWeights);
        if (stale > 0)
        {
            LoopLog.StaleGenerations(_logger, Stage, stale, "responses", _responseStore.FilePath, TrainingMarker.BaseWeights);
        }

        using var ledger = new StageLedger(Stage, _folder, items, progress, _logger);
        var stored = items.Where(item => _responses.ContainsKey(item.Id)).ToList();
        var toGenerate = items.Where(item => !_responses.ContainsKey(item.Id) && ledger.MayCall(item.Id, _options.RetryFailedItems)).ToList();
        if (toGenerate.Count > 0 && _weights.Current != TrainingMarker.BaseWeights)
        {
            throw new InvalidOperationException(
                $"Stage 1 has {toGenerate.Count} responses to generate, but this loop's policy already holds trained weights ({_weights.Current}); " +
                "stage-1 responses must come from the weights the policy started with. Run stage 1 with a new loop over the base model.");
        }

        ledger.Counters.AddGenerated(stored.Count, thisRun: false);
        LoopLog.StageStarting(_logger, Stage, items.Count, stored.Count, toGenerate.Count, _folder);
        SettleItemsNotRetried(items, stored, toGenerate, ledger);

        await (_batching is null
            ? CritiqueWhileGeneratingAsync(stored, toGenerate, ledger, cancellationToken)
            : CritiqueInBatchesAsync(_batching, items, stored, toGenerate, ledger, cancellationToken)).ConfigureAwait(false);
        if (_processor.StaleResults > 0)
        {
            LoopLog.StaleCritiques(_logger, _processor.StaleResults, _folder);
        }

        List<ExampleRecord> examples = _processor.Examples(items);
        StageCounters counters = ledger.Counters;
        var training = new TrainingStep(Stage, _folder, counters, items.Count, progress, _weights, _logger);
        StageSettlement settled = await ledger.SettleAndTrainAsync(
            RunLayout.ExamplesFileName,
            examples,
            counters.CriticCalls,
            training,
            TrainingMarker.BaseWeights,
            RunLayout.StageOneFolderName,
            "supervised sequences",
            (relay, token) => trainer.TrainSupervisedAsync(
                new SupervisedTrainingRequest(examples.Select(ToSupervisedExample).ToList()) { OutputDirectory = training.OutputDirectory, Name = RunLayout.StageOneFolderName },
                relay,
                token),
            cancellationToken).ConfigureAwait(false);

        return new StageOneResult
        {
            Total = items.Count,
            Generated = counters.Generated,
            Critiqued = _processor.CountCritiqued(items),
            Kept = examples.Count,
            FilteredIncomplete = ledger.Count(ItemOutcome.Incomplete),
            FilteredRefinementUnscored = ledger.Count(ItemOutcome.RefinementUnscored),
            FilteredRefinementWorse = ledger.Count(ItemOutcome.RefinementWorse),
            FilteredUnformattable = ledger.Count(ItemOutcome.Unformattable),
            Failures = ledger.OrderedFailures(),
            GeneratedThisRun = counters.GeneratedThisRun,
            CriticCalls = counters.CriticCalls,
            RefinerCalls = counters.RefinerCalls,
            InputTokens = counters.InputTokens,
            OutputTokens = counters.OutputTokens,
            ScoredItems = settled.ScoredItems,
            AverageResponseScore = settled.AverageResponseScore,
            AverageRefinementScore = settled.AverageRefinementScore,
            Training = settled.Training,
            TrainingResumed = settled.TrainingResumed,
            BatchReports = _batching?.Reports ?? [],
        };
    }

    public void Dispose()
    {
        _responseStore.Dispose();
        _processor.Dispose();
    }

    private static void SettleItemsNotRetried(IReadOnlyList<InstructionItem> items, List<InstructionItem> stored, List<InstructionItem> toGenerate, StageLedger ledger)
    {
        var waiting = new HashSet<string>(stored.Concat(toGenerate).Select(item => item.Id), StringComparer.Ordinal);
        foreach (InstructionItem item in items.Where(item => !waiting.Contains(item.Id)))
        {
            ledger.SettleEarlierFailure(item.Id);
        }
    }

    /// <summary>Critiques stored responses at once and new ones as each generation batch lands, up to the concurrency bound.</summary>
    private async Task CritiqueWhileGeneratingAsync(List<InstructionItem> stored, List<InstructionItem> toGenerate, StageLedger ledger, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<InstructionItem>(new UnboundedChannelOptions { SingleWriter = true });
        foreach (InstructionItem item in stored)
        {
            channel.Writer.TryWrite(item);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task producer = GenerateAsync(toGenerate, channel.Writer, ledger, linked);
        Exception? consumerError = null;
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentCriticCalls, CancellationToken = linked.Token };
            await Parallel.ForEachAsync(
                channel.Reader.ReadAllAsync(linked.Token),
                parallel,
                (item, token) => new ValueTask(_processor.ProcessAsync(item, ResponseOf(item.Id), ledger, token))).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            consumerError = exception;
            await linked.CancelAsync().ConfigureAwait(false);
        }

        Exception? producerError = null;
        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            producerError = exception;
        }

        cancellationToken.ThrowIfCancellationRequested();

        // The error that stopped the other side is the one to report: a failed generation cancels the critique calls,
        // a stopped critique cancels generation.
        Exception? error = producerError is not null and not OperationCanceledException ? producerError : consumerError ?? producerError;
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>
    /// Generates every missing response first, then runs all items at once against the batching critic, so each round
    /// of batches (critiques, then refinement scores) holds every request it can.
    /// </summary>
    private async Task CritiqueInBatchesAsync(BatchingCritic batching, IReadOnlyList<InstructionItem> items, List<InstructionItem> stored, List<InstructionItem> toGenerate, StageLedger ledger, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<InstructionItem>(new UnboundedChannelOptions { SingleWriter = true });
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            await GenerateAsync(toGenerate, channel.Writer, ledger, stop).ConfigureAwait(false);
        }

        var ready = new List<InstructionItem>(stored);
        while (channel.Reader.TryRead(out InstructionItem? item))
        {
            ready.Add(item);
        }

        // The rounds list their requests in the items' order, however the generation and the item tasks interleave.
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int index = 0; index < items.Count; index++)
        {
            position.TryAdd(items[index].Id, index);
        }

        batching.Start([.. ready.Select(item => item.Id).OrderBy(id => position.GetValueOrDefault(id, int.MaxValue))], cancellationToken);
        try
        {
            await Task.WhenAll(ready.Select(item => ProcessBatchedAsync(batching, item, ledger, cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            await batching.DrainAsync().ConfigureAwait(false);
        }
    }

    private async Task ProcessBatchedAsync(BatchingCritic batching, InstructionItem item, StageLedger ledger, CancellationToken cancellationToken)
    {
        await Task.Yield();
        BatchingCritic.SetCurrentItem(item.Id);
        try
        {
            await _processor.ProcessAsync(item, ResponseOf(item.Id), ledger, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            batching.ItemFinished();
        }
    }

    private async Task GenerateAsync(List<InstructionItem> items, ChannelWriter<InstructionItem> writer, StageLedger ledger, CancellationTokenSource stop)
    {
        CancellationToken cancellationToken = stop.Token;
        try
        {
            var batches = new PolicyBatches(_policy, _options, Stage);
            await batches.GenerateAsync(
                items,
                async (item, completion) =>
                {
                    var record = new ResponseRecord(
                        item.Id, item.Instruction, completion.Text, completion.FinishReason, completion.PromptTokens, completion.CompletionTokens, TrainingMarker.BaseWeights);
                    _responseStore.Append(record);
                    lock (_responses)
                    {
                        _responses[item.Id] = record;
                    }

                    ledger.Counters.AddGenerated(1, thisRun: true);
                    LoopLog.Content(_logger, Stage, item.Id, "response", record.Response);
                    ledger.Report(StagePhase.Generating);
                    await writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                },
                (item, exception) => ledger.RecordFailure(item.Id, StagePhase.Generating, exception),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Generation stopped the run (an unrecoverable policy failure): critique calls in flight stop too.
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private ResponseRecord ResponseOf(string id)
    {
        lock (_responses)
        {
            return _responses[id];
        }
    }

    private static SupervisedExample ToSupervisedExample(ExampleRecord example) =>
        new(example.Id, PolicyPrompt.Create(example.SystemPrompt, example.Instruction), example.Completion);
}
