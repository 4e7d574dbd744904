using ScottPlot;
using Srt.Evaluation;

namespace Srt.Cli;

/// <summary>
/// Draws an evaluation comparison as grouped bars, one group per answer set: the win rate against the reference (with
/// its 95% interval) and the task accuracy, in percent on a zero-based axis, so bar heights compare honestly.
/// </summary>
internal static class ResultsChart
{
    private const double BarWidth = 0.38;

    public static void Save(EvaluationComparison comparison, string path)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var rows = comparison.Rows;
        var plot = new Plot();
        try
        {
            var winRates = new List<Bar>();
            var accuracies = new List<Bar>();
            for (int i = 0; i < rows.Count; i++)
            {
                if (rows[i].Judge is { WinRate: double winRate } judge)
                {
                    winRates.Add(new Bar
                    {
                        Position = i - (BarWidth / 2),
                        Value = 100 * winRate,
                        Error = 100 * ((judge.WinRateUpper ?? winRate) - (judge.WinRateLower ?? winRate)) / 2,
                        Size = BarWidth,
                        FillColor = Colors.SteelBlue,
                    });
                }

                if (rows[i].Accuracy?.Accuracy is double accuracy)
                {
                    accuracies.Add(new Bar { Position = i + (BarWidth / 2), Value = 100 * accuracy, Size = BarWidth, FillColor = Colors.DarkOrange });
                }
            }

            if (winRates.Count > 0)
            {
                plot.Add.Bars(winRates).LegendText = $"win rate vs {comparison.Reference} (95% CI)";
            }

            if (accuracies.Count > 0)
            {
                plot.Add.Bars(accuracies).LegendText = "task accuracy";
            }

            double[] positions = [.. Enumerable.Range(0, rows.Count).Select(i => (double)i)];
            string[] labels = [.. rows.Select(row => $"{row.Checkpoint}\n{(row.Mode == AnswerMode.Direct ? "direct" : "self-refined")}")];
            plot.Axes.Bottom.SetTicks(positions, labels);
            plot.Axes.SetLimits(-0.6, rows.Count - 0.4, 0, 100);
            plot.Title("Self-Refinement Tuning: evaluation");
            plot.XLabel("answer set (checkpoint, mode)");
            plot.YLabel("percent");
            plot.ShowLegend(Alignment.UpperLeft);
            string? folder = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            plot.SavePng(path, Math.Max(640, 160 * rows.Count), 480);
        }
        finally
        {
            plot.Dispose();
        }
    }
}
