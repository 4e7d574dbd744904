using Spectre.Console;

namespace Srt.Cli;

/// <summary>
/// Shows a stage's progress: a live progress bar (items settled, then training steps) on a terminal, and one plain
/// line per phase when output is redirected to a file or a pipe, so logs stay readable.
/// </summary>
internal sealed class StageProgressDisplay(CliHost host)
{
    public async Task<T> RunAsync<T>(string title, Func<IProgress<StageProgress>, Task<T>> work)
    {
        if (host.IsOutputRedirected)
        {
            return await work(new PlainLines(host.Output)).ConfigureAwait(false);
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(host.Output),
            Interactive = InteractionSupport.Yes,
        });
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape(title), maxValue: 1);
                result = await work(new Bar(task)).ConfigureAwait(false);
                task.Value = task.MaxValue;
                task.StopTask();
            }).ConfigureAwait(false);
        return result;
    }

    private static string StepName(StageProgress value) => value.Round > 0 ? $"round {value.Round}" : $"stage {value.Stage}";

    /// <summary>One line each time a stage enters a new phase.</summary>
    private sealed class PlainLines(TextWriter output) : IProgress<StageProgress>
    {
        private readonly Lock _gate = new();
        private (int Stage, int Round, StagePhase Phase) _last;

        public void Report(StageProgress value)
        {
            lock (_gate)
            {
                if ((value.Stage, value.Round, value.Phase) != _last)
                {
                    _last = (value.Stage, value.Round, value.Phase);
                    output.WriteLine($"{StepName(value)}: {value.Phase,-11} {value.ItemsDone}/{value.ItemsTotal} settled, {value.Kept} kept, {value.CriticCalls} critic calls" +
                        (value.RefinerCalls > 0 ? $", {value.RefinerCalls} refiner calls" : ""));
                }
            }
        }
    }

    /// <summary>Moves the bar: items settled while the stage works through them, steps while it trains.</summary>
    private sealed class Bar(ProgressTask task) : IProgress<StageProgress>
    {
        public void Report(StageProgress value)
        {
            if (value.Training is { } training)
            {
                task.Description = $"{StepName(value)}: training, loss {training.Loss:F4}";
                task.MaxValue = Math.Max(1, training.TotalSteps);
                task.Value = training.Step;
                return;
            }

            task.Description = $"{StepName(value)}: {value.Phase.ToString().ToLowerInvariant()}, {value.Kept} kept";
            task.MaxValue = Math.Max(1, value.ItemsTotal);
            task.Value = value.ItemsDone;
        }
    }
}
