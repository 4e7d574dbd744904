using System.Diagnostics;
using Spectre.Console;

namespace Srt.Samples.Quickstart;

/// <summary>The quickstart's entry: parse the command line, run (or resume) the pipeline, print and write the results.</summary>
internal static class QuickstartApp
{
    /// <summary>Runs the quickstart; returns the process exit code (<see cref="SampleExit"/>: 0 done, 1 failed, 2 bad usage, 130 interrupted).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        QuickstartArguments arguments;
        try
        {
            arguments = QuickstartArguments.Parse(args);
        }
        catch (ArgumentException exception)
        {
            Console.Error.WriteLine(exception.Message);
            Console.Error.WriteLine(QuickstartArguments.Usage);
            return SampleExit.BadUsage;
        }

        if (arguments.Help)
        {
            Console.WriteLine(QuickstartArguments.Usage);
            return 0;
        }

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await RunAsync(arguments, cancellation.Token);
        }
        catch (Exception exception)
        {
            // Every failure after parsing ends as a message and an exit code: 1 failed, 130 interrupted.
            return SampleExit.Report(exception, Console.Error, arguments.RunDirectory, arguments.Verbose, cancellation.IsCancellationRequested);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static async Task<int> RunAsync(QuickstartArguments arguments, CancellationToken cancellationToken)
    {
        global::TorchSharp.torch.set_num_threads(arguments.Threads);
        string runDirectory = Path.GetFullPath(arguments.RunDirectory);
        if (arguments.Fresh && Directory.Exists(runDirectory))
        {
            Directory.Delete(runDirectory, recursive: true);
        }

        QuickstartSettings settings = (arguments.Quick ? QuickstartSettings.Quick : QuickstartSettings.Default) with { Threads = arguments.Threads };
        try
        {
            RunSettingsFile.Check(runDirectory, settings.Name, arguments.Seed);
        }
        catch (InvalidOperationException exception)
        {
            Console.Error.WriteLine(exception.Message);
            return SampleExit.BadUsage;
        }

        AnsiConsole.MarkupLine($"[bold]Self-Refinement Tuning quickstart[/] ({settings.Name} settings, seed {arguments.Seed}) → {Markup.Escape(runDirectory)}");
        var clock = Stopwatch.StartNew();
        QuickstartRun? run = null;
        IReadOnlyList<Evaluation> evaluations = [];
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var estimate = new RunEstimate(settings.PhaseSeconds, () => clock.Elapsed);
                run = new QuickstartRun(runDirectory, settings, arguments.Seed, new RunProgress(context, estimate));
                evaluations = await run.RunAsync(cancellationToken);
            });

        var report = new QuickstartReport(settings, arguments.Seed, runDirectory, evaluations, run!, clock.Elapsed);
        report.Print();
        report.WriteResults();
        report.WriteChart();
        return SampleExit.Done;
    }
}
