using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Stage 2 over a run directory, and each later self-improvement round the same way in its own folder: the policy the
/// previous step trained (stage 1 for stage 2; stage 2 for round 1; round k-1 for round k) writes response, feedback
/// with self-score and refinement in one pass; items whose refinement self-scores higher become preference pairs
/// (chosen = refinement, rejected = response) for preference training from that policy, which is thereby also the
/// DPO reference. Outputs are appended as they arrive, so a rerun generates only what is missing.
/// </summary>
internal sealed class StageTwoRunner : IDisposable
{
    private const int Stage = 2;
    private readonly IPolicyModel _policy;
    private readonly SelfRefinementOptions _options;
    private readonly SelfRefinementFormat _format;
    private readonly ILogger _logger;
    private readonly string _folder;
    private readonly string _name;
    private readonly IReadOnlyList<string> _previousSteps;
    private readonly JsonlStore<PolicyOutputRecord> _outputStore;
    private readonly Dictionary<string, PolicyOutputRecord> _outputs;
    private readonly Dictionary<string, PairRecord> _pairs = new(StringComparer.Ordinal);
    private readonly PolicyWeights _weights;
    private int _ties;

    // folder: the step's folder (stage 2's or a round's); name: its training run name, as RunLayout names the folder;
    // previousSteps: the folders of the steps trained before it, in order; the last one's model generates.
    public StageTwoRunner(
        IPolicyModel policy, SelfRefinementFormat format, SelfRefinementOptions options, string folder, string name, IReadOnlyList<string> previousSteps,
        PolicyWeights weights, ILogger logger)
    {
        _weights = weights;
        _format = format;
        _policy = policy;
        _options = options;
        _logger = logger;
        _folder = folder;
        _name = name;
        _previousSteps = previousSteps;
        _outputStore = new(Path.Combine(_folder, RunLayout.OutputsFileName), logger: logger);
        _outputs = StoredRecords.ById(_outputStore, record => record.Id);
    }

    public async Task<StageTwoResult> RunAsync(
        IReadOnlyList<InstructionItem> items,
        ITrainer trainer,
        IProgress<StageProgress>? progress,
        CancellationToken cancellationToken)
    {
        StoredRecords.CheckInstructions(items, _outputs, record => record.Instruction, _outputStore.FilePath);

        // Stage 2 generates with the stage-1 model, a round with the previous step's: restore it (and what it was
        // trained on) when that training finished in an earlier run.
        await _weights.RestoreChainAsync(Stage, _previousSteps, cancellationToken).ConfigureAwait(false);

        string weights = _weights.Current;
        int stale = StoredRecords.RemoveOtherWeights(_outputs, record => record.Weights, weights, TrainingMarker.BaseWeights);
        if (stale > 0)
        {
            LoopLog.StaleGenerations(_logger, Stage, stale, "outputs", _outputStore.FilePath, weights);
        }

        using var ledger = new StageLedger(Stage, _folder, items, progress, _logger);
        var stored = items.Where(item => _outputs.ContainsKey(item.Id)).ToList();
        var toGenerate = items.Where(item => !_outputs.ContainsKey(item.Id) && ledger.MayCall(item.Id, _options.RetryFailedItems)).ToList();
        LoopLog.StageStarting(_logger, Stage, items.Count, stored.Count, toGenerate.Count, _folder);
        ledger.Counters.AddGenerated(stored.Count, thisRun: false);
        foreach (InstructionItem item in items.Where(item => !_outputs.ContainsKey(item.Id) && !ledger.MayCall(item.Id, _options.RetryFailedItems)))
        {
            ledger.SettleEarlierFailure(item.Id);
        }

        foreach (InstructionItem item in stored)
        {
            Evaluate(item, _outputs[item.Id], ledger);
        }

        await new PolicyBatches(_policy, _options, Stage).GenerateAsync(
            toGenerate,
            (item, completion) =>
            {
                var record = new PolicyOutputRecord(
                    item.Id, item.Instruction, completion.Text, completion.FinishReason, completion.PromptTokens, completion.CompletionTokens, weights);
                _outputStore.Append(record);
                ledger.Counters.AddGenerated(1, thisRun: true);
                ledger.Counters.AddCompletionTokens(completion.CompletionTokens);
                LoopLog.Content(_logger, Stage, item.Id, "output", record.Text);
                Evaluate(item, record, ledger);
                return ValueTask.CompletedTask;
            },
            (item, exception) => ledger.RecordFailure(item.Id, StagePhase.Generating, exception),
            cancellationToken).ConfigureAwait(false);

        var pairs = items.Where(item => _pairs.ContainsKey(item.Id)).Select(item => _pairs[item.Id]).ToList();
        StageCounters counters = ledger.Counters;
        var training = new TrainingStep(Stage, _folder, counters, items.Count, progress, _weights, _logger);
        StageSettlement settled = await ledger.SettleAndTrainAsync(
            RunLayout.PairsFileName,
            pairs,
            criticCalls: 0,
            training,
            weights,
            _name,
            "preference pairs",
            (relay, token) => trainer.TrainPreferenceAsync(
                new PreferenceTrainingRequest(pairs.Select(ToPreferencePair).ToList()) { OutputDirectory = training.OutputDirectory, Name = _name },
                relay,
                token),
            cancellationToken).ConfigureAwait(false);

        return new StageTwoResult
        {
            Total = items.Count,
            Generated = counters.Generated,
            Kept = pairs.Count,
            FilteredUnparseable = ledger.Count(ItemOutcome.Unparseable),
            FilteredNotImproved = ledger.Count(ItemOutcome.NotImproved),
            Ties = _ties,
            Failures = ledger.OrderedFailures(),
            GeneratedThisRun = counters.GeneratedThisRun,
            CompletionTokens = counters.OutputTokens,
            ScoredItems = settled.ScoredItems,
            AverageResponseScore = settled.AverageResponseScore,
            AverageRefinementScore = settled.AverageRefinementScore,
            Training = settled.Training,
            TrainingResumed = settled.TrainingResumed,
        };
    }

    public void Dispose() => _outputStore.Dispose();

    private void Evaluate(InstructionItem item, PolicyOutputRecord output, StageLedger ledger)
    {
        string id = item.Id;
        if (output.FinishReason == CompletionFinishReason.Length)
        {
            ledger.Settle(id, ItemOutcome.Unparseable, StagePhase.Parsing, $"cut off at {nameof(SelfRefinementOptions.StageTwoMaxNewTokens)}");
            return;
        }

        if (!_format.TryParse(output.Text, out SelfRefinementOutput? parsed))
        {
            ledger.Settle(id, ItemOutcome.Unparseable, StagePhase.Parsing, "no response and refinement found around an improved-response heading");
            return;
        }

        int? responseScore = parsed.Feedback.Score;
        int? refinementScore = parsed.RefinementScore;
        if (responseScore is not int before || refinementScore is not int after)
        {
            string which = responseScore is null ? "response" : "refinement";
            ledger.Settle(id, ItemOutcome.Unparseable, StagePhase.Parsing, $"no self-score for the {which}", responseScore, refinementScore);
            return;
        }

        bool tie = after == before;
        if (tie)
        {
            Interlocked.Increment(ref _ties);
        }

        if (after < before || (tie && _options.TieRule == StageTwoTieRule.DropTies))
        {
            ItemOutcome outcome = tie ? ItemOutcome.Tie : ItemOutcome.NotImproved;
            ledger.Settle(id, outcome, StagePhase.Parsing, $"refinement self-scored {after}, response {before}", before, after);
            return;
        }

        // Chosen is the refinement alone unless configured otherwise (then the model's whole self-refinement, as it
        // wrote it); rejected is always the first answer alone.
        string chosen = _options.IncludeFeedbackInChosen ? output.Text.Trim() : parsed.Refinement;
        _pairs[id] = new PairRecord(id, _options.SystemPrompt, item.Instruction, chosen, parsed.Response, before, after);
        ledger.Settle(id, ItemOutcome.Kept, StagePhase.Parsing, tie ? "tie kept" : null, before, after);
    }

    private static PreferencePair ToPreferencePair(PairRecord pair) =>
        new(pair.Id, PolicyPrompt.Create(pair.SystemPrompt, pair.Instruction), pair.Chosen, pair.Rejected);
}
