using System.Globalization;

namespace Srt.Samples.Quickstart;

/// <summary>Draws the quickstart's chart: one training-loss panel per run (left) and held-out accuracy bars (right).</summary>
internal static class ResultsChart
{
    private static readonly (byte, byte, byte) Background = (255, 255, 255);
    private static readonly (byte, byte, byte) Ink = (40, 40, 40);
    private static readonly (byte, byte, byte) Grid = (225, 225, 225);
    private static readonly (byte, byte, byte) DirectColor = (120, 150, 200);
    private static readonly (byte, byte, byte) RefinedColor = (220, 110, 50);

    public static void Draw(string path, IReadOnlyList<(string Title, IReadOnlyList<(int Step, double Loss)> Points)> curves, IReadOnlyList<Evaluation> evaluations, string title)
    {
        var canvas = new PngCanvas(980, 470, Background);
        canvas.Text(20, 14, title, Ink, scale: 3);
        for (int i = 0; i < curves.Count; i++)
        {
            LossPanel(canvas, 30 + (i % 2 * 250), 64 + (i / 2 * 200), 220, 150, curves[i].Title, curves[i].Points);
        }

        AccuracyBars(canvas, 560, 64, 400, 350, evaluations);
        canvas.Save(path);
    }

    private static void LossPanel(PngCanvas canvas, int x, int y, int width, int height, string title, IReadOnlyList<(int Step, double Loss)> points)
    {
        canvas.Text(x, y - 16, title + " LOSS", Ink);
        canvas.Line(x, y, x, y + height, Ink);
        canvas.Line(x, y + height, x + width, y + height, Ink);
        if (points.Count == 0)
        {
            canvas.Text(x + 10, y + (height / 2), "NO DATA", Ink);
            return;
        }

        double max = points.Max(p => p.Loss), min = Math.Min(0, points.Min(p => p.Loss));
        int lastStep = Math.Max(points.Max(p => p.Step), 1);
        double Px(int step) => x + (width * (double)step / lastStep);
        double Py(double loss) => y + height - (height * (loss - min) / Math.Max(max - min, 1e-9));
        for (int i = 1; i <= 3; i++)
        {
            canvas.Line(x + 1, y + (height * i / 4), x + width, y + (height * i / 4), Grid);
        }

        for (int i = 1; i < points.Count; i++)
        {
            canvas.Line(Px(points[i - 1].Step), Py(points[i - 1].Loss), Px(points[i].Step), Py(points[i].Loss), RefinedColor, 2);
        }

        canvas.Text(x + 4, y + 4, max.ToString("0.00", CultureInfo.InvariantCulture), Ink);
        canvas.Text(x + 4, y + height - 14, min.ToString("0.00", CultureInfo.InvariantCulture), Ink);
        string steps = $"{lastStep} STEPS";
        canvas.Text(x + width - PngCanvas.TextWidth(steps), y + height + 6, steps, Ink);
    }

    private static void AccuracyBars(PngCanvas canvas, int x, int y, int width, int height, IReadOnlyList<Evaluation> evaluations)
    {
        canvas.Text(x, y - 16, "HELD-OUT ACCURACY", Ink);
        canvas.Line(x, y, x, y + height, Ink);
        canvas.Line(x, y + height, x + width, y + height, Ink);
        for (int percent = 25; percent <= 100; percent += 25)
        {
            int gridY = y + height - (height * percent / 100);
            canvas.Line(x + 1, gridY, x + width, gridY, Grid);
            canvas.Text(x - PngCanvas.TextWidth($"{percent}") - 6, gridY - 5, $"{percent}", Ink);
        }

        int group = width / Math.Max(evaluations.Count, 1);
        int bar = group / 3;
        for (int i = 0; i < evaluations.Count; i++)
        {
            Evaluation evaluation = evaluations[i];
            int left = x + (i * group) + (group / 6);
            Bar(canvas, left, y, height, bar, evaluation.DirectAccuracy, DirectColor);
            Bar(canvas, left + bar, y, height, bar, evaluation.RefinedAccuracy, RefinedColor);
            string label = evaluation.Model.ToUpperInvariant();
            canvas.Text(left + bar - (PngCanvas.TextWidth(label) / 2), y + height + 8, label, Ink);
        }

        canvas.FillRectangle(x + 10, y + height + 34, 14, 14, DirectColor);
        canvas.Text(x + 30, y + height + 36, "DIRECT ANSWER", Ink);
        canvas.FillRectangle(x + 190, y + height + 34, 14, 14, RefinedColor);
        canvas.Text(x + 210, y + height + 36, "SELF-REFINED ANSWER", Ink);
    }

    private static void Bar(PngCanvas canvas, int left, int top, int height, int width, double accuracy, (byte, byte, byte) color)
    {
        int barHeight = (int)Math.Round(height * accuracy);
        canvas.FillRectangle(left + 2, top + height - barHeight, width - 4, barHeight, color);
        string value = $"{Math.Round(accuracy * 100, MidpointRounding.AwayFromZero)}%";
        canvas.Text(left + (width / 2) - (PngCanvas.TextWidth(value) / 2), top + height - barHeight - 14, value, (40, 40, 40));
    }
}
