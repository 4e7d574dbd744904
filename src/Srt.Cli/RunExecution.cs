using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Srt.Evaluation;
using Srt.OpenAI;
using Srt.TorchSharp;
using Srt.TorchSharp.Training;

namespace Srt.Cli;

/// <summary>
/// What <c>srt run</c> does: loads the base policy, runs the chosen stages, then any rounds, through <see cref="SelfRefinementLoop"/>
/// (which restores the weights of training a previous run finished), and, with an evaluation set, stores the answers of
/// each checkpoint before the next stage trains (the trainer updates the policy in place).
/// </summary>
internal sealed class RunExecution(RunSettings settings, CliHost host)
{
    private readonly TextWriter _output = host.Output;

    public async Task ExecuteAsync(CancellationToken cancellationToken)
    {
        using ILoggerFactory loggerFactory = CliLogging.Create(settings.Verbose);
        var critic = OpenAICritic.Create(settings.Critic.ToCriticOptions(), loggerFactory);
        global::TorchSharp.torch.set_num_threads(settings.Threads);
        using CausalLanguageModel model = CausalLanguageModel.FromPretrained(settings.ModelFolder, chatTemplateName: settings.ChatTemplate);
        _output.WriteLine($"Policy: {settings.ModelFolder}; critic: {settings.Critic}; {settings.StageOneItems.Count} stage-1, {settings.StageTwoItems.Count} stage-2" +
            $"{(settings.EvaluationItems is null ? "" : $", {settings.EvaluationItems.Count} evaluation")} instructions; run directory {settings.RunDirectory}.");
        var policy = model.AsPolicyModel();
        var trainer = model.CreateTrainer(settings.StageOneTrainer, settings.StageTwoTrainer, loggerFactory);
        var loop = new SelfRefinementLoop(policy, critic, trainer, settings.Loop, loggerFactory);
        EvaluationRunner? evaluation = settings.EvaluationItems is null ? null : new EvaluationRunner(
            new EvaluationOptions
            {
                RunDirectory = settings.RunDirectory,
                MaxNewTokens = settings.Loop.MaxNewTokens,
                SelfRefinedMaxNewTokens = settings.Loop.StageTwoMaxNewTokens,
                SystemPrompt = settings.Loop.SystemPrompt,
                BatchSize = settings.Loop.GenerationBatchSize,
            },
            loggerFactory: loggerFactory);
        var display = new StageProgressDisplay(host);

        StageOneResult? one = null;
        if (settings.RunStageOne)
        {
            await EvaluateAsync(evaluation, EvaluationCheckpoints.Base, policy, loop.WeightsId, [AnswerMode.Direct], cancellationToken).ConfigureAwait(false);
            one = await display.RunAsync("stage 1", progress => loop.RunStageOneAsync(settings.StageOneItems, progress, cancellationToken)).ConfigureAwait(false);
            _output.WriteLine($"Stage 1: {one.Kept}/{one.Total} kept ({one.FilteredIncomplete} incomplete, {one.FilteredRefinementWorse} refinement worse, {one.Failed} failed); " +
                $"training {(one.TrainingResumed ? "already done" : one.Training is null ? "skipped (nothing kept)" : $"{one.Training.Steps} steps, final loss {one.Training.FinalLoss:F4}")}.");
            await EvaluateAsync(evaluation, EvaluationCheckpoints.StageOne, policy, loop.WeightsId, null, cancellationToken).ConfigureAwait(false);
        }

        if (settings.RunStageTwo)
        {
            StageTwoResult two = await display.RunAsync("stage 2", progress => loop.RunStageTwoAsync(settings.StageTwoItems, progress, cancellationToken)).ConfigureAwait(false);
            _output.WriteLine($"Stage 2: {two.Kept}/{two.Total} pairs kept ({two.FilteredUnparseable} unparseable, {two.FilteredNotImproved} not improved, {two.Ties} ties); " +
                $"training {(two.TrainingResumed ? "already done" : two.Training is null ? "skipped (no pairs)" : $"{two.Training.Steps} steps, final loss {two.Training.FinalLoss:F4}")}.");
            await EvaluateAsync(evaluation, EvaluationCheckpoints.StageTwo, policy, loop.WeightsId, null, cancellationToken).ConfigureAwait(false);
        }

        for (int round = 1; round <= settings.RoundItems.Count; round++)
        {
            int number = round;
            StageTwoResult result = await display.RunAsync(
                $"round {number}", progress => loop.RunRoundAsync(number, settings.RoundItems[number - 1], progress, cancellationToken)).ConfigureAwait(false);
            _output.WriteLine($"Round {number}: {result.Kept}/{result.Total} pairs kept ({result.FilteredUnparseable} unparseable, {result.FilteredNotImproved} not improved, {result.Ties} ties); " +
                $"training {(result.TrainingResumed ? "already done" : result.Training is null ? "skipped (no pairs)" : $"{result.Training.Steps} steps, final loss {result.Training.FinalLoss:F4}")}.");
            await EvaluateAsync(evaluation, EvaluationCheckpoints.Round(number), policy, loop.WeightsId, null, cancellationToken).ConfigureAwait(false);
        }

        var retries = critic.ChatClient.GetService<RetryingChatClient>();
        var usage = new UsageSummary(
            one?.CriticCalls ?? 0, one?.RefinerCalls ?? 0, one?.InputTokens ?? 0, one?.OutputTokens ?? 0, 0, 0, 0, retries?.Retries ?? 0, retries?.Attempts ?? 0);
        usage.Print(_output);
        if (evaluation is not null)
        {
            _output.WriteLine($"Evaluation answers are in {evaluation.Folder}; judge them with 'srt eval --run {settings.RunDirectory} --eval-set <the same file>'.");
        }
    }

    private async Task EvaluateAsync(
        EvaluationRunner? runner, string checkpoint, IPolicyModel policy, string weights, AnswerMode[]? modes, CancellationToken cancellationToken)
    {
        if (runner is null)
        {
            return;
        }

        int generated = await runner.GenerateAsync(checkpoint, policy, settings.EvaluationItems!, modes, weights, cancellationToken).ConfigureAwait(false);
        _output.WriteLine($"Evaluation answers of {checkpoint}: {generated} generated now, the rest from the run directory.");
    }
}
