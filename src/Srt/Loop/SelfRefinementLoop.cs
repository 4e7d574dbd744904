using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt;

/// <summary>
/// Self-Refinement Tuning (Hu et al. 2024): stage 1 teaches the policy to critique and refine its answers from a
/// strong critic's written feedback; stage 2 trains it on preference pairs it makes itself, and further rounds
/// (<see cref="RunRoundAsync"/>) repeat stage 2 from each round's model. Every step reads and
/// write a run directory, so a rerun after a crash, kill or cancellation continues where the last run stopped and
/// never repeats a finished critic call or generation.
/// </summary>
public sealed class SelfRefinementLoop
{
    private readonly IPolicyModel _policy;
    private readonly ICritic _critic;
    private readonly ITrainer _trainer;
    private readonly IRefiner? _refiner;
    private readonly SelfRefinementOptions _options;
    private readonly ILogger _logger;
    private readonly RunDirectory _run;
    private readonly SelfRefinementFormat _format;
    private readonly PolicyWeights _weights;

    /// <summary>Initializes a new instance of the <see cref="SelfRefinementLoop"/> class.</summary>
    /// <param name="policy">The model being improved; the trainer updates it in place.</param>
    /// <param name="critic">The strong critic of stage 1.</param>
    /// <param name="trainer">Trains the policy on stage-1 sequences and stage-2 pairs.</param>
    /// <param name="options">The loop's settings; validated here and copied into <c>run.json</c>.</param>
    /// <param name="loggerFactory">Creates the loop's logger; <see langword="null"/> logs nothing.</param>
    /// <param name="refiner">
    /// Writes a refinement when a critique holds none; <see langword="null"/> uses the critic when it is also a refiner
    /// (as <see cref="ChatClientCritic"/> is, found through <see cref="ICritic.GetService"/>), and otherwise drops such items.
    /// </param>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is invalid; the message names it.</exception>
    public SelfRefinementLoop(
        IPolicyModel policy,
        ICritic critic,
        ITrainer trainer,
        SelfRefinementOptions options,
        ILoggerFactory? loggerFactory = null,
        IRefiner? refiner = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(critic);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _policy = policy;
        _critic = critic;
        _trainer = trainer;
        _refiner = refiner ?? critic.GetService<IRefiner>();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SelfRefinementLoop>();
        _run = new RunDirectory(options.RunDirectory!);
        _format = new SelfRefinementFormat(options.Format);
        _weights = new PolicyWeights(trainer, _run, _logger);
    }

    /// <summary>Gets the full path of the run directory.</summary>
    public string RunDirectory => _run.Root;

    /// <summary>
    /// Gets the identity of the weights the policy holds now, as far as this loop knows: <c>"base"</c> (the weights it
    /// was given) until a stage's training finishes or a rerun restores it, then that training's id (written once, in
    /// the stage's <c>training.done.json</c>). Store it with anything generated from the policy, for example as the
    /// <c>weights</c> of <see cref="Evaluation.EvaluationRunner.GenerateAsync(string, IPolicyModel, IEnumerable{Evaluation.EvaluationItem}, IEnumerable{Evaluation.AnswerMode}?, string?, CancellationToken)"/>,
    /// so that work from other weights is never reused.
    /// </summary>
    public string WeightsId => _weights.Current;

    /// <summary>Runs stage 1: sample, critique, filter, score refinements separately, then supervised training.</summary>
    /// <param name="items">The stage-1 instructions; ids must be unique and stable across reruns.</param>
    /// <param name="progress">Receives a report after each settled item and each training step; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the stage; everything finished so far stays on disk for a rerun.</param>
    /// <returns>Counts, scores and the training summary.</returns>
    public async Task<StageOneResult> RunStageOneAsync(
        IEnumerable<InstructionItem> items,
        IProgress<StageProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<InstructionItem> list = InstructionItem.Validate(items, nameof(items));
        cancellationToken.ThrowIfCancellationRequested();
        _weights.CheckRestorable(1, [_run.StageOne]);
        _run.WriteManifest(_options);
        using var runner = new StageOneRunner(_policy, _critic, _refiner, _format, _options, _run, _weights, _logger);
        using Activity? activity = StartStage(1, list.Count);
        return await TraceAsync(activity, () => runner.RunAsync(list, _trainer, progress, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Runs stage 2: the (stage-1-trained) policy answers, critiques and refines itself; the improved items become preference pairs.</summary>
    /// <param name="items">New instructions, not those of stage 1; ids must be unique and stable across reruns.</param>
    /// <param name="progress">Receives a report after each settled item and each training step; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the stage; everything finished so far stays on disk for a rerun.</param>
    /// <returns>Counts, self-scores and the training summary.</returns>
    public async Task<StageTwoResult> RunStageTwoAsync(
        IEnumerable<InstructionItem> items,
        IProgress<StageProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<InstructionItem> list = InstructionItem.Validate(items, nameof(items));
        cancellationToken.ThrowIfCancellationRequested();
        _weights.CheckRestorable(2, [_run.StageOne, _run.StageTwo]);
        _run.WriteManifest(_options);
        using var runner = new StageTwoRunner(
            _policy, _format, _options, _run.StageTwo, RunLayout.StageTwoFolderName, RoundSteps.Before(_run, 0), _weights, _logger);
        using Activity? activity = StartStage(2, list.Count);
        return await TraceAsync(activity, () => runner.RunAsync(list, _trainer, progress, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a further self-improvement round after stage 2, exactly as stage 2 runs but from the previous round's model:
    /// it answers, critiques and refines itself on new instructions in one pass, its improved items become preference
    /// pairs by stage 2's rules, and DPO trains it with that same model as the reference. Round 1 starts from the stage-2
    /// model; round k from round k-1's. Each round has its own folder (<see cref="RunLayout.RoundFolder"/>) and resumes
    /// as the stages do.
    /// </summary>
    /// <param name="round">The round, from 1; the round before it (stage 2 for round 1) must have finished its training.</param>
    /// <param name="items">New instructions for this round; ids must be unique and stable across reruns.</param>
    /// <param name="progress">Receives a report after each settled item and each training step, with <see cref="StageProgress.Round"/> set; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the round; everything finished so far stays on disk for a rerun.</param>
    /// <returns>The round's counts, self-scores and training summary, as stage 2 reports them.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="round"/> is less than 1.</exception>
    /// <exception cref="InvalidOperationException">The round before has not finished its training, an earlier step is
    /// stale, or finished training cannot be restored; the message names the file.</exception>
    public async Task<StageTwoResult> RunRoundAsync(
        int round,
        IEnumerable<InstructionItem> items,
        IProgress<StageProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(round, 1);
        IReadOnlyList<InstructionItem> list = InstructionItem.Validate(items, nameof(items));
        cancellationToken.ThrowIfCancellationRequested();
        RoundSteps.CheckReady(_run, round);
        IReadOnlyList<string> before = RoundSteps.Before(_run, round);
        string folder = _run.Round(round);
        _weights.CheckRestorable(2, [.. before, folder]);
        _run.WriteManifest(_options);
        using var runner = new StageTwoRunner(_policy, _format, _options, folder, RunLayout.RoundFolderName(round), before, _weights, _logger);
        using Activity? activity = StartStage(2, list.Count);
        activity?.SetTag(SrtTelemetry.RoundTag, round);
        IProgress<StageProgress>? roundProgress = progress is null ? null : new RoundProgress(progress, round);
        return await TraceAsync(activity, () => runner.RunAsync(list, _trainer, roundProgress, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Runs stage 1, then stage 2 on the policy stage 1 trained.</summary>
    /// <param name="stageOneItems">The stage-1 instructions.</param>
    /// <param name="stageTwoItems">The stage-2 instructions (new ones).</param>
    /// <param name="progress">Receives the reports of both stages; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the run; everything finished so far stays on disk for a rerun.</param>
    /// <returns>Both stages' summaries.</returns>
    public async Task<SelfRefinementResult> RunAsync(
        IEnumerable<InstructionItem> stageOneItems,
        IEnumerable<InstructionItem> stageTwoItems,
        IProgress<StageProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        // Check both lists before spending anything on stage 1.
        IReadOnlyList<InstructionItem> first = InstructionItem.Validate(stageOneItems, nameof(stageOneItems));
        IReadOnlyList<InstructionItem> second = InstructionItem.Validate(stageTwoItems, nameof(stageTwoItems));
        _weights.CheckRestorable(2, [_run.StageOne, _run.StageTwo]);
        StageOneResult stageOne = await RunStageOneAsync(first, progress, cancellationToken).ConfigureAwait(false);
        StageTwoResult stageTwo = await RunStageTwoAsync(second, progress, cancellationToken).ConfigureAwait(false);
        return new SelfRefinementResult(stageOne, stageTwo);
    }

    /// <summary>Runs a stage inside its span: the span gets the kept and failed counts, or the exception that ended it.</summary>
    private static async Task<TResult> TraceAsync<TResult>(Activity? activity, Func<Task<TResult>> run)
        where TResult : StageResult
    {
        try
        {
            TResult result = await run().ConfigureAwait(false);
            activity?.SetTag("srt.items.kept", result.Kept);
            activity?.SetTag("srt.items.failed", result.Failures.Count);
            return result;
        }
        catch (Exception exception)
        {
            SrtTelemetry.Failed(activity, exception);
            throw;
        }
    }

    private Activity? StartStage(int stage, int items)
    {
        Activity? activity = SrtTelemetry.Source.StartActivity("srt.stage");
        if (activity is not null)
        {
            activity.DisplayName = $"srt.stage {stage}";
            activity.SetTag(SrtTelemetry.StageTag, stage);
            activity.SetTag("srt.items.total", items);
            activity.SetTag("srt.run_directory", _run.Root);
        }

        return activity;
    }

    /// <summary>Marks a round's reports with its number, forwarding synchronously so reports keep their order.</summary>
    private sealed class RoundProgress(IProgress<StageProgress> inner, int round) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => inner.Report(value with { Round = round });
    }
}
