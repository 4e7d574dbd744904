using System.Buffers.Binary;
using ScottPlot;
using ScottPlot.Plottables;
using Srt.Samples.Quickstart;
using QuickstartEvaluation = Srt.Samples.Quickstart.Evaluation;

namespace Srt.TorchSharp.Tests.Quickstart;

public sealed class ResultsChartTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "srt-chart-" + Guid.NewGuid().ToString("N") + ".png");

    [Fact]
    public void Create_CurvesAndEvaluations_PlotsEachCurveAndZeroBasedBarsOfTheAccuracies()
    {
        ResultsChart chart = ResultsChart.Create(Curves(), Models(), "title");

        Scatter[] lines = chart.Losses.GetPlottables<Scatter>().ToArray();
        Assert.Equal(["pretraining", "stage 1"], lines.Select(l => l.LegendText)); // the empty curve is left out
        Assert.Equal([(1, 2.5), (2, 1.0), (3, 0.5)], lines[0].Data.GetScatterPoints().Select(p => (p.X, p.Y)));
        Assert.Equal(ResultsChart.StepLabel, chart.Losses.Axes.Bottom.Label.Text);
        Assert.Equal(ResultsChart.LossLabel, chart.Losses.Axes.Left.Label.Text);
        Assert.Equal(0, chart.Losses.Axes.GetLimits().Bottom);

        Bar[] bars = Assert.Single(chart.Accuracy.GetPlottables<BarPlot>()).Bars.ToArray();
        Assert.Equal([20.0, 20.0, 30.0, 90.0], bars.Select(b => Math.Round(b.Value, 6)));
        Assert.All(bars, bar => Assert.Equal(0, bar.ValueBase));
        Assert.Equal(["20%", "20%", "30%", "90%"], bars.Select(b => b.Label));
        Assert.Equal(ResultsChart.AccuracyLabel, chart.Accuracy.Axes.Left.Label.Text);
        AxisLimits limits = chart.Accuracy.Axes.GetLimits();
        Assert.Equal(0, limits.Bottom);
        Assert.True(limits.Top >= 100, $"the accuracy axis ends at {limits.Top}, below 100%");
    }

    [Fact]
    public void Save_Chart_WritesAPngOfTheChartsSize()
    {
        ResultsChart.Create(Curves(), Models(), "title").Save(_path);

        byte[] png = File.ReadAllBytes(_path);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(ResultsChart.Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(ResultsChart.Height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.True(png.Length > 10_000, $"a {png.Length}-byte PNG is too small to hold the chart's lines, bars and text");
    }

    public void Dispose() => File.Delete(_path);

    private static List<(string, IReadOnlyList<(int, double)>)> Curves() =>
    [
        ("pretraining", [(1, 2.5), (2, 1.0), (3, 0.5)]),
        ("stage 1", [(1, 1.5), (2, 0.7)]),
        ("ablation", []),
    ];

    private static List<(string, QuickstartEvaluation)> Models() =>
    [
        ("base", new QuickstartEvaluation("base", 10, 2, 2, 0, [])),
        ("stage 1", new QuickstartEvaluation("stage1", 10, 3, 9, 10, [])),
    ];
}
