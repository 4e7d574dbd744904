using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Srt.Evaluation;
using Srt.TorchSharp;

namespace Srt.Cli;

/// <summary>What <c>srt eval</c> does: answers with --model when given, then judges and scores every stored answer set.</summary>
internal sealed class EvalExecution(EvalSettings settings, TextWriter output)
{
    public async Task ExecuteAsync(CancellationToken cancellationToken)
    {
        using ILoggerFactory loggerFactory = CliLogging.Create(settings.Verbose);
        CausalLanguageModel? model = null;
        try
        {
            if (settings.ModelFolder is not null)
            {
                global::TorchSharp.torch.set_num_threads(settings.Threads);
                model = CausalLanguageModel.FromPretrained(settings.ModelFolder, chatTemplateName: settings.ChatTemplate);
            }

            IChatClient? judgeClient = settings.Judge?.CreateChatClient(loggerFactory);
            Func<string, int>? countTokens = model is null ? null : text => model.Tokenizer.Encode(text).Count;
            var runner = new EvaluationRunner(
                new EvaluationOptions
                {
                    RunDirectory = settings.RunDirectory,
                    BaselineCheckpoint = settings.Baseline,
                    MaxNewTokens = settings.MaxNewTokens,
                    SelfRefinedMaxNewTokens = 3 * settings.MaxNewTokens,
                    Seed = settings.Seed,
                },
                judgeClient is null ? null : cache => new PairwiseJudge(judgeClient, new PairwiseJudgeOptions { CacheDirectory = cache, CountTokens = countTokens }, loggerFactory),
                loggerFactory: loggerFactory);

            if (model is not null)
            {
                // The folder's path is the identity of its weights: answers another model stored under this name are made again.
                string weights = "folder:" + settings.ModelFolder;
                int generated = await runner.GenerateAsync(settings.Checkpoint, model.AsPolicyModel(), settings.Items, settings.Modes, weights, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"Evaluation answers of {settings.Checkpoint}: {generated} generated now, the rest from the run directory.");
            }

            EvaluationComparison comparison = await runner.CompareAsync(settings.Items, cancellationToken).ConfigureAwait(false);
            if (comparison.Rows.Count == 0)
            {
                throw new InvalidOperationException(
                    $"{runner.Folder} holds no evaluation answers: run 'srt run --eval-set <file>' first, or pass --model to answer the evaluation set here.");
            }

            output.WriteLine();
            output.WriteLine(comparison.ToMarkdown());
            output.WriteLine($"Table: {Path.Combine(runner.Folder, RunLayout.ComparisonMarkdownFileName)}");
            if (settings.ChartPath is not null)
            {
                ResultsChart.Save(comparison, settings.ChartPath);
                output.WriteLine($"Chart: {settings.ChartPath}");
            }

            var judged = comparison.Rows.Select(row => row.Judge).OfType<PairwiseReport>().ToList();
            var retries = judgeClient?.GetService<RetryingChatClient>();
            new UsageSummary(
                0, 0, 0, 0, judged.Sum(report => report.JudgeCalls), judged.Sum(report => report.InputTokens), judged.Sum(report => report.OutputTokens),
                retries?.Retries ?? 0, retries?.Attempts ?? 0).Print(output);
        }
        finally
        {
            model?.Dispose();
        }
    }
}
