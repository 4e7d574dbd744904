using System.Globalization;
using Spectre.Console;

namespace Srt.Samples.Quickstart;

/// <summary>
/// Spectre.Console progress bars for each step of the run, under one line for the whole run that names the phase
/// running and the estimated time left (<see cref="RunEstimate"/>); reports may come from any thread.
/// </summary>
internal sealed class RunProgress
{
    private readonly ProgressContext _context;
    private readonly RunEstimate _estimate;
    private readonly ProgressTask _overall;
    private readonly Lock _gate = new();

    public RunProgress(ProgressContext context, RunEstimate estimate)
    {
        _context = context;
        _estimate = estimate;
        _overall = context.AddTask(Markup.Escape("run"), maxValue: 1);
        Refresh();
    }

    /// <summary>Gets the overall line as shown: the phase and the time left.</summary>
    public string OverallText
    {
        get
        {
            lock (_gate)
            {
                return Describe();
            }
        }
    }

    /// <summary>Starts the phase <paramref name="phase"/> of the estimate.</summary>
    public void Start(string phase) => Update(() => _estimate.Start(phase));

    /// <summary>Finishes the phase running now.</summary>
    public void Finish() => Update(_estimate.Finish);

    /// <summary>A bar that counts items (generation, evaluation); counting also moves the current phase.</summary>
    public Action<int> Items(string label, int total)
    {
        ProgressTask task = _context.AddTask(Markup.Escape(label), maxValue: Math.Max(total, 1));
        return done => Update(() =>
        {
            task.Value = done;
            _estimate.Report((double)done / Math.Max(total, 1));
        });
    }

    /// <summary>Marks a step as done without work (resumed from the run directory).</summary>
    public void Resumed(string label, string phase)
    {
        Update(() =>
        {
            ProgressTask task = _context.AddTask(Markup.Escape(label + " (resumed from the run directory)"), maxValue: 1);
            task.Value = 1;
            task.StopTask();
            _estimate.Resume(phase);
        });
    }

    /// <summary>Bars for a training run: steps, with the latest loss in the label; <paramref name="phaseShare"/> maps its
    /// steps onto the current phase (a stage's training starts after its generation).</summary>
    public IProgress<TrainingProgress> Training(string label, (double From, double To) phaseShare = default)
    {
        (double from, double to) = phaseShare == default ? (0, 1) : phaseShare;
        ProgressTask? task = null;
        return new SyncProgress<TrainingProgress>(report => Update(() =>
        {
            task ??= _context.AddTask(Markup.Escape(label), maxValue: Math.Max(report.TotalSteps, 1));
            task.MaxValue = Math.Max(report.TotalSteps, 1);
            task.Value = report.Step;
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{label}: loss {report.Loss:F3}"));
            _estimate.Report(from + ((to - from) * report.Step / Math.Max(report.TotalSteps, 1)));
        }));
    }

    /// <summary>Bars for one stage of the loop: items settled (generate, critique, filter), then training steps;
    /// <paramref name="generationShare"/> is the typical share of the stage's time that goes to the items.</summary>
    public IProgress<StageProgress> Stage(string label, double generationShare)
    {
        ProgressTask? items = null;
        IProgress<TrainingProgress> training = Training($"{label}: train", (generationShare, 1));
        return new SyncProgress<StageProgress>(report =>
        {
            if (report.Training is { } step)
            {
                training.Report(step);
                return;
            }

            Update(() =>
            {
                items ??= _context.AddTask(Markup.Escape($"{label}: generate, critique, filter"), maxValue: Math.Max(report.ItemsTotal, 1));
                items.Value = report.ItemsDone;
                items.Description = Markup.Escape($"{label}: {report.Generated} generated, {report.Kept} kept, {report.Filtered} filtered");
                _estimate.Report(generationShare * report.ItemsDone / Math.Max(report.ItemsTotal, 1));
            });
        });
    }

    private void Update(Action change)
    {
        lock (_gate)
        {
            change();
            Refresh();
        }
    }

    private void Refresh()
    {
        _overall.Value = Math.Min(_estimate.DoneShare, 1);
        _overall.Description = Describe();
    }

    private string Describe()
    {
        string phase = _estimate.Current is { } current
            ? $"phase {_estimate.CurrentNumber}/{_estimate.PhaseCount}: {current}"
            : _estimate.DoneShare >= 1 ? "done" : "starting";
        TimeSpan left = _estimate.Remaining();
        return $"[bold]{Markup.Escape(phase)}[/] · about {Markup.Escape(Format(left))} left";
    }

    /// <summary>Minutes and seconds, rounded to 10 s: an estimate has no finer precision.</summary>
    internal static string Format(TimeSpan left)
    {
        int seconds = (int)(Math.Round(left.TotalSeconds / 10) * 10);
        return seconds >= 60
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60} min {seconds % 60:D2} s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds} s");
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
