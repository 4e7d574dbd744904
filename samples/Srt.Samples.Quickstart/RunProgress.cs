using System.Globalization;
using Spectre.Console;

namespace Srt.Samples.Quickstart;

/// <summary>Spectre.Console progress bars for each step of the run; reports may come from any thread.</summary>
internal sealed class RunProgress(ProgressContext context)
{
    /// <summary>A bar that counts items (generation, evaluation).</summary>
    public ProgressTask Items(string label, int total) => context.AddTask(Markup.Escape(label), maxValue: Math.Max(total, 1));

    /// <summary>Marks a step as done without work (resumed from the run directory).</summary>
    public void Resumed(string label)
    {
        ProgressTask task = context.AddTask(Markup.Escape(label + " (resumed from the run directory)"), maxValue: 1);
        task.Value = 1;
        task.StopTask();
    }

    /// <summary>Bars for a training run: steps, with the latest loss in the label.</summary>
    public IProgress<TrainingProgress> Training(string label)
    {
        ProgressTask? task = null;
        return new SyncProgress<TrainingProgress>(report =>
        {
            task ??= context.AddTask(Markup.Escape(label), maxValue: Math.Max(report.TotalSteps, 1));
            task.MaxValue = Math.Max(report.TotalSteps, 1);
            task.Value = report.Step;
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{label}: loss {report.Loss:F3}"));
        });
    }

    /// <summary>Bars for one stage of the loop: items settled (generate, critique, filter), then training steps.</summary>
    public IProgress<StageProgress> Stage(string label)
    {
        ProgressTask? items = null;
        IProgress<TrainingProgress> training = Training($"{label}: train");
        return new SyncProgress<StageProgress>(report =>
        {
            items ??= context.AddTask(Markup.Escape($"{label}: generate, critique, filter"), maxValue: Math.Max(report.ItemsTotal, 1));
            items.Value = report.ItemsDone;
            items.Description = Markup.Escape($"{label}: {report.Generated} generated, {report.Kept} kept, {report.Filtered} filtered");
            if (report.Training is { } step)
            {
                training.Report(step);
            }
        });
    }

    /// <summary>Forwards reports at once, in order (Progress&lt;T&gt; would post them to a context).</summary>
    private sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
    {
        private readonly Lock _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                handler(value);
            }
        }
    }
}
