using System.Globalization;
using ScottPlot;

namespace Srt.Samples.Quickstart;

/// <summary>
/// The quickstart's chart (ScottPlot): training loss against optimizer step for each training run (left) and held-out
/// accuracy of each model, direct and self-refined, as bars from zero (right).
/// </summary>
internal sealed class ResultsChart
{
    public const int Width = 1200;

    public const int Height = 520;

    public const string StepLabel = "optimizer step";

    public const string LossLabel = "training loss";

    public const string AccuracyLabel = "held-out accuracy (%)";

    private static readonly Color DirectColor = Color.FromHex("#7896C8");
    private static readonly Color RefinedColor = Color.FromHex("#DC6E32");

    private ResultsChart(Plot losses, Plot accuracy)
    {
        Losses = losses;
        Accuracy = accuracy;
    }

    /// <summary>Gets the left plot: one line per training run.</summary>
    public Plot Losses { get; }

    /// <summary>Gets the right plot: two bars per model (direct, self-refined), in percent.</summary>
    public Plot Accuracy { get; }

    /// <summary>Builds the chart from the training curves (step, loss) and the evaluations; empty curves are left out.</summary>
    public static ResultsChart Create(
        IReadOnlyList<(string Title, IReadOnlyList<(int Step, double Loss)> Points)> curves, IReadOnlyList<(string Label, Evaluation Evaluation)> models, string title)
    {
        var losses = new Plot();
        losses.Title(title);
        losses.XLabel(StepLabel);
        losses.YLabel(LossLabel);
        foreach ((string name, IReadOnlyList<(int Step, double Loss)> points) in curves)
        {
            if (points.Count == 0)
            {
                continue;
            }

            var line = losses.Add.ScatterLine(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.Loss).ToArray());
            line.LegendText = name;
            line.LineWidth = 2;
        }

        losses.Axes.SetLimitsY(0, Math.Max(curves.SelectMany(c => c.Points).Select(p => p.Loss).DefaultIfEmpty(1).Max() * 1.05, 0.1));
        losses.ShowLegend(Alignment.UpperRight);

        var accuracy = new Plot();
        accuracy.Title("Held-out accuracy (ablation: refinements only)");
        accuracy.YLabel(AccuracyLabel);
        var bars = new List<Bar>();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < models.Count; i++)
        {
            Evaluation evaluation = models[i].Evaluation;
            bars.Add(Bar(i * 3, evaluation.DirectAccuracy, DirectColor));
            bars.Add(Bar((i * 3) + 1, evaluation.RefinedAccuracy, RefinedColor));
            ticks.AddMajor((i * 3) + 0.5, models[i].Label);
        }

        accuracy.Add.Bars(bars);
        accuracy.Axes.Bottom.TickGenerator = ticks;
        // Bars start at zero and the axis spans the whole scale, so heights compare as accuracies do.
        accuracy.Axes.SetLimits(-1, Math.Max((models.Count * 3) - 1, 1), 0, 110);
        accuracy.Legend.ManualItems.Add(new LegendItem { LabelText = "direct answer", FillColor = DirectColor });
        accuracy.Legend.ManualItems.Add(new LegendItem { LabelText = "self-refined answer", FillColor = RefinedColor });
        accuracy.ShowLegend(Alignment.UpperLeft);
        return new ResultsChart(losses, accuracy);
    }

    /// <summary>Writes the chart as a <see cref="Width"/> × <see cref="Height"/> PNG.</summary>
    public void Save(string path)
    {
        // The constructor with a plot uses it as the first panel (the parameterless one adds an empty plot).
        var figure = new Multiplot(Losses) { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        figure.AddPlot(Accuracy);
        figure.SavePng(path, Width, Height);
    }

    private static Bar Bar(double position, double accuracy, Color color) => new()
    {
        Position = position,
        Value = accuracy * 100,
        FillColor = color,
        Label = (accuracy * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%",
    };
}
