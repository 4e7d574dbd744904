using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Srt.TorchSharp.Training;

/// <summary>Appends one JSON object per optimizer step to <c>metrics.jsonl</c> (flushed each line). On resume, lines
/// of steps after the checkpoint (written by the interrupted process) are dropped first, so the file reads as one run.</summary>
internal sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";

    private readonly StreamWriter? _writer;

    public MetricsLog(string? outputDirectory, int resumedStep)
    {
        if (outputDirectory is null)
        {
            return;
        }
        Directory.CreateDirectory(outputDirectory);
        string path = Path.Combine(outputDirectory, FileName);
        if (File.Exists(path))
        {
            var kept = File.ReadLines(path).Where(line => StepOf(line) is { } step && step <= resumedStep).ToList();
            File.WriteAllLines(path, kept);
        }
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public void Append(string run, TrainingProgress progress)
    {
        if (_writer is null)
        {
            return;
        }
        var line = new JsonObject
        {
            ["run"] = run,
            ["step"] = progress.Step,
            ["total_steps"] = progress.TotalSteps,
            ["epoch"] = Math.Round(progress.Epoch, 6),
            ["loss"] = progress.Loss,
            ["learning_rate"] = progress.LearningRate,
            ["grad_norm"] = progress.GradientNorm,
            ["tokens_per_second"] = progress.TokensPerSecond,
        };
        foreach (var (name, value) in progress.Metrics)
        {
            line[name] = value;
        }
        _writer.WriteLine(line.ToJsonString());
    }

    public static int? StepOf(string line)
    {
        try
        {
            return JsonNode.Parse(line)?["step"]?.GetValue<int>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null; // a torn last line from a crash
        }
    }

    public static IReadOnlyList<(int Step, double Loss)> ReadLosses(string path) =>
        File.ReadLines(path).Select(l => JsonNode.Parse(l)!).Select(n => (n["step"]!.GetValue<int>(), n["loss"]!.GetValue<double>())).ToList();

    public void Dispose() => _writer?.Dispose();

    internal static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
