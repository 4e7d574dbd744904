using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Srt.Datasets;
using Srt.Evaluation;
using Srt.OpenAI;
using Srt.TorchSharp;
using Srt.TorchSharp.Training;

namespace Srt.Samples.OpenAI;

/// <summary>The sample's whole run: evaluate base → stage 1 → evaluate → stage 2 → evaluate → compare.</summary>
public static class SampleApp
{
    /// <summary>Runs the sample.</summary>
    /// <param name="args">The command line (see <c>README.md</c>).</param>
    /// <param name="environment">Reads environment variables (<c>OPENAI_API_KEY</c>).</param>
    /// <param name="output">Where the report goes.</param>
    /// <param name="cancellationToken">Stops the run; finished work stays in the run directory.</param>
    /// <returns>The exit code (<see cref="SampleExit"/>): 0 done, 1 failed, 2 bad usage, 130 interrupted.</returns>
    public static async Task<int> RunAsync(string[] args, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken = default)
    {
        SampleOptions options;
        IReadOnlyList<InstructionItem> stageOne, stageTwo;
        IReadOnlyList<EvaluationItem> evaluation;
        string? apiKey;
        try
        {
            options = SampleOptions.Parse(args);

            // An OpenAI key goes to the OpenAI API only; a custom endpoint gets a key only from the variable named for it.
            string? keyVariable = options.ApiKeyVariable ?? (options.Endpoint is null ? "OPENAI_API_KEY" : null);
            apiKey = keyVariable is null ? null : environment(keyVariable);
            if (string.IsNullOrWhiteSpace(apiKey))
            {
                apiKey = options.Endpoint is null || keyVariable is not null
                    ? throw new ArgumentException($"Set {keyVariable ?? "OPENAI_API_KEY"} for the {(options.Endpoint is null ? "OpenAI API" : "endpoint")}, or pass --endpoint for an OpenAI-compatible server that needs no key.")
                    : null;
            }

            (stageOne, stageTwo, evaluation) = Split(options);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or FileNotFoundException)
        {
            output.WriteLine($"error: {exception.Message}");
            output.WriteLine();
            output.WriteLine(SampleOptions.Usage);
            return SampleExit.BadUsage;
        }

        try
        {
            UsageSummary usage = await RunStagesAsync(options, apiKey, stageOne, stageTwo, evaluation, output, cancellationToken).ConfigureAwait(false);
            usage.Print(output);
            File.WriteAllText(Path.Combine(options.RunDirectory, "usage.json"), System.Text.Json.JsonSerializer.Serialize(usage, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return SampleExit.Done;
        }
        catch (Exception exception)
        {
            // Every failure after parsing ends as a message and an exit code: 1 failed, 130 interrupted.
            return SampleExit.Report(exception, output, options.RunDirectory, options.Verbose, cancellationToken.IsCancellationRequested);
        }
    }

    private static (IReadOnlyList<InstructionItem>, IReadOnlyList<InstructionItem>, IReadOnlyList<EvaluationItem>) Split(SampleOptions options)
    {
        var items = InstructionDataset.ReadInstructions(options.InstructionsFile);
        IReadOnlyList<EvaluationItem> evaluation;
        IReadOnlyList<InstructionItem> training;
        if (options.EvalFile is not null)
        {
            evaluation = InstructionDataset.ReadEvaluationItems(options.EvalFile);
            training = items;
        }
        else
        {
            int held = Math.Max(1, items.Count / 5);
            evaluation = items.Skip(items.Count - held).Select(item => new EvaluationItem(item.Id, item.Instruction)).ToList();
            training = items.Take(items.Count - held).ToList();
        }

        if (training.Count < 2)
        {
            throw new ArgumentException($"{options.InstructionsFile} needs at least 2 training instructions (one per stage) besides the evaluation ones; it has {training.Count}.");
        }

        // Stage 2 must see new instructions: the first half trains stage 1, the second half stage 2.
        int half = (training.Count + 1) / 2;
        return (training.Take(half).ToList(), training.Skip(half).ToList(), evaluation);
    }

    private static async Task<UsageSummary> RunStagesAsync(
        SampleOptions options, string? apiKey, IReadOnlyList<InstructionItem> stageOne, IReadOnlyList<InstructionItem> stageTwo,
        IReadOnlyList<EvaluationItem> evaluation, TextWriter output, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(options.Verbose ? LogLevel.Debug : LogLevel.Warning));
        var critic = OpenAICritic.Create(new OpenAICriticOptions { Model = options.CriticModel, ApiKey = apiKey, Endpoint = options.Endpoint }, loggerFactory);
        IChatClient judgeClient = OpenAICritic.CreateChatClient(
            new OpenAICriticOptions { Model = options.JudgeModel ?? options.CriticModel, ApiKey = apiKey, Endpoint = options.Endpoint }, loggerFactory);

        global::TorchSharp.torch.set_num_threads(options.Threads);
        using CausalLanguageModel model = PolicyLoader.Load(options);
        output.WriteLine($"Policy: {options.ModelFolder}; {stageOne.Count} stage-1, {stageTwo.Count} stage-2, {evaluation.Count} evaluation instructions.");
        var policy = new TorchSharpPolicyModel(model);
        var trainer = new TorchSharpTrainer(model, TrainerOptions(options, 1), TrainerOptions(options, 2), loggerFactory.CreateLogger<TorchSharpTrainer>());
        var loop = new SelfRefinementLoop(policy, critic, trainer, new SelfRefinementOptions
        {
            RunDirectory = options.RunDirectory,
            MaxNewTokens = options.MaxNewTokens,
            StageTwoMaxNewTokens = 3 * options.MaxNewTokens,
            Seed = options.Seed,
        }, loggerFactory);
        var runner = new EvaluationRunner(
            new EvaluationOptions { RunDirectory = options.RunDirectory, BaselineCheckpoint = "base", MaxNewTokens = options.MaxNewTokens, SelfRefinedMaxNewTokens = 3 * options.MaxNewTokens },
            cache => new PairwiseJudge(judgeClient, new PairwiseJudgeOptions { CacheDirectory = cache, CountTokens = text => model.Tokenizer.Encode(text).Count }, loggerFactory),
            loggerFactory: loggerFactory);
        var progress = new ProgressPrinter(output);

        // The trainer updates the policy in place, so each checkpoint is evaluated before the next stage trains. On a
        // rerun the loop restores finished training itself; answers stored under the same weights are reused.
        await Evaluate(runner, "base", policy, loop.WeightsId, evaluation, output, [AnswerMode.Direct], cancellationToken).ConfigureAwait(false);

        StageOneResult one = await loop.RunStageOneAsync(stageOne, progress, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"Stage 1: {one.Kept}/{one.Total} kept ({one.FilteredIncomplete} incomplete, {one.FilteredRefinementWorse} refinement worse, {one.Failed} failed); training {(one.TrainingResumed ? "already done" : one.Training is null ? "skipped (nothing kept)" : $"{one.Training.Steps} steps, final loss {one.Training.FinalLoss:F4}")}.");
        await Evaluate(runner, "stage1", policy, loop.WeightsId, evaluation, output, null, cancellationToken).ConfigureAwait(false);

        StageTwoResult two = await loop.RunStageTwoAsync(stageTwo, progress, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"Stage 2: {two.Kept}/{two.Total} pairs kept ({two.FilteredUnparseable} unparseable, {two.FilteredNotImproved} not improved, {two.Ties} ties); training {(two.TrainingResumed ? "already done" : two.Training is null ? "skipped (no pairs)" : $"{two.Training.Steps} steps, final loss {two.Training.FinalLoss:F4}")}.");
        await Evaluate(runner, "stage2", policy, loop.WeightsId, evaluation, output, null, cancellationToken).ConfigureAwait(false);

        EvaluationComparison comparison = await runner.CompareAsync(evaluation, cancellationToken).ConfigureAwait(false);
        output.WriteLine();
        output.WriteLine(comparison.ToMarkdown());
        output.WriteLine($"Table: {Path.Combine(runner.Folder, "comparison.md")}");

        var judged = comparison.Rows.Select(row => row.Judge).OfType<PairwiseReport>().ToList();
        var criticRetries = critic.ChatClient.GetService<RetryingChatClient>();
        var judgeRetries = judgeClient.GetService<RetryingChatClient>();
        return new UsageSummary(
            one.CriticCalls,
            one.RefinerCalls,
            one.InputTokens,
            one.OutputTokens,
            judged.Sum(report => report.JudgeCalls),
            judged.Sum(report => report.InputTokens),
            judged.Sum(report => report.OutputTokens),
            (criticRetries?.Retries ?? 0) + (judgeRetries?.Retries ?? 0),
            (criticRetries?.Attempts ?? 0) + (judgeRetries?.Attempts ?? 0));
    }

    private static async Task Evaluate(
        EvaluationRunner runner, string checkpoint, IPolicyModel policy, string weights, IReadOnlyList<EvaluationItem> items, TextWriter output, AnswerMode[]? modes,
        CancellationToken cancellationToken)
    {
        int generated = await runner.GenerateAsync(checkpoint, policy, items, modes, weights, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"Evaluation answers of {checkpoint}: {generated} generated now, the rest from the run directory.");
    }

    private static TorchSharpTrainerOptions TrainerOptions(SampleOptions options, int stage)
    {
        var trainer = stage == 1 ? TorchSharpTrainerOptions.PaperStageOne() : TorchSharpTrainerOptions.PaperStageTwo();
        trainer.GlobalBatchSize = options.BatchSize;
        trainer.MicroBatchSize = options.BatchSize % 4 == 0 ? 4 : 1;
        trainer.MaxSequenceLength = options.MaxLength;
        trainer.Threads = options.Threads;
        if (stage == 1)
        {
            trainer.Epochs = options.Epochs;
        }

        return trainer;
    }
}
