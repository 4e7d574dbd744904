using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Srt.Samples.Quickstart;

/// <summary>The end of a run: the accuracy table on the console, <c>results.json</c> and <c>results.png</c>.</summary>
internal sealed class QuickstartReport(
    QuickstartSettings settings, int seed, string runDirectory, IReadOnlyList<Evaluation> evaluations, QuickstartRun run, TimeSpan elapsed)
{
    private static readonly Dictionary<string, string> Labels = new()
    {
        ["base"] = "base",
        [RunLayout.StageOneFolderName] = "stage 1 (with feedback)",
        ["ablation"] = "ablation (refinements only)",
        [RunLayout.StageTwoFolderName] = "stage 2 (DPO, own pairs)",
    };

    // Short names under the chart's bars (the long ones overlap).
    private static readonly Dictionary<string, string> ChartLabels = new()
    {
        ["base"] = "base",
        [RunLayout.StageOneFolderName] = "stage 1",
        ["ablation"] = "ablation",
        [RunLayout.StageTwoFolderName] = "stage 2",
    };

    public string ResultsPath => Path.Combine(runDirectory, "results.json");

    public string ChartPath => Path.Combine(runDirectory, "results.png");

    public void Print()
    {
        var table = new Table().Title($"Held-out accuracy ({evaluations[0].Total} sums of {settings.MinTerms}–{settings.MaxTerms} numbers, greedy)")
            .AddColumn("model").AddColumn(new TableColumn("direct").RightAligned())
            .AddColumn(new TableColumn("self-refined").RightAligned()).AddColumn(new TableColumn("writes a refinement").RightAligned());
        foreach (Evaluation evaluation in evaluations)
        {
            table.AddRow(Labels[evaluation.Model], Percent(evaluation.DirectAccuracy), Percent(evaluation.RefinedAccuracy), Percent((double)evaluation.SelfRefinements / evaluation.Total));
        }

        AnsiConsole.Write(table);
        if (run.StageOne is { } one && run.StageTwo is { } two)
        {
            AnsiConsole.MarkupLine(
                $"Stage 1: {one.Kept}/{one.Total} critiques kept, average critic score {Score(one.AverageResponseScore)} → refinements {Score(one.AverageRefinementScore)}. " +
                $"Stage 2: {two.Kept}/{two.Total} self-refinements became preference pairs ({two.Ties} ties, {two.FilteredNotImproved} not improved, {two.FilteredUnparseable} unparseable).");
        }

        AnsiConsole.MarkupLine($"Finished in {elapsed.TotalSeconds:F0} s. Results: {Markup.Escape(ResultsPath)}, chart: {Markup.Escape(ChartPath)}");
    }

    public void WriteResults()
    {
        var models = new JsonObject();
        foreach (Evaluation evaluation in evaluations)
        {
            models[evaluation.Model] = new JsonObject
            {
                ["label"] = Labels[evaluation.Model],
                ["direct_accuracy"] = evaluation.DirectAccuracy,
                ["self_refined_accuracy"] = evaluation.RefinedAccuracy,
                ["self_refinement_rate"] = (double)evaluation.SelfRefinements / evaluation.Total,
                ["held_out"] = evaluation.Total,
            };
        }

        var results = new JsonObject
        {
            ["settings"] = settings.Name,
            ["seed"] = seed,
            ["models"] = models,
            [RunLayout.StageOneFolderName] = Summary(run.StageOne),
            ["ablation"] = Summary(run.Ablation),
            [RunLayout.StageTwoFolderName] = run.StageTwo is { } two ? JsonSerializer.SerializeToNode(two) : null,
            ["seconds"] = JsonSerializer.SerializeToNode(run.Seconds),
            ["total_seconds"] = Math.Round(elapsed.TotalSeconds, 1),
        };
        File.WriteAllText(ResultsPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public void WriteChart() =>
        ResultsChart.Create(Curves(), [.. evaluations.Select(e => (ChartLabels[e.Model], e))], $"Training loss ({settings.Name}, seed {seed})")
            .Save(ChartPath);

    /// <summary>The training curves the chart draws: pretraining, stage-1 SFT, ablation SFT and stage-2 DPO.</summary>
    public IReadOnlyList<(string Title, IReadOnlyList<(int Step, double Loss)> Points)> Curves() =>
    [
        ("pretraining (SFT)", Losses(Path.Combine(runDirectory, "models", "base-training"))),
        ("stage 1 (SFT with feedback)", Losses(RunLayout.TrainingFolder(RunLayout.StageFolder(Path.Combine(runDirectory, "srt"), 1)))),
        ("ablation (SFT, refinements only)", Losses(RunLayout.TrainingFolder(RunLayout.StageFolder(Path.Combine(runDirectory, "ablation"), 1)))),
        ("stage 2 (DPO + NLL)", Losses(RunLayout.TrainingFolder(RunLayout.StageFolder(Path.Combine(runDirectory, "srt"), 2)))),
    ];

    private static JsonNode? Summary(StageOneResult? result) => result is null ? null : JsonSerializer.SerializeToNode(result);

    /// <summary>Reads (step, loss) from the trainer's metrics.jsonl; the last record of a step wins (a resumed run rewrites steps).</summary>
    private static IReadOnlyList<(int Step, double Loss)> Losses(string trainingFolder)
    {
        string path = Path.Combine(trainingFolder, "metrics.jsonl");
        if (!File.Exists(path))
        {
            return [];
        }

        var byStep = new SortedDictionary<int, double>();
        foreach (string line in File.ReadLines(path))
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject record && record["step"] is { } step && record["loss"] is { } loss)
                {
                    byStep[step.GetValue<int>()] = loss.GetValue<double>();
                }
            }
            catch (JsonException)
            {
                // a torn last line of a killed run
            }
        }

        return byStep.Select(pair => (pair.Key, pair.Value)).ToList();
    }

    private static string Percent(double value) => value.ToString("P1", CultureInfo.InvariantCulture);

    private static string Score(double? value) => value?.ToString("F2", CultureInfo.InvariantCulture) ?? "-";
}
