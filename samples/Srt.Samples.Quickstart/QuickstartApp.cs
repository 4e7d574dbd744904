using System.Diagnostics;
using Spectre.Console;

namespace Srt.Samples.Quickstart;

/// <summary>The quickstart's entry: parse the command line, run (or resume) the pipeline, print and write the results.</summary>
internal static class QuickstartApp
{
    /// <summary>Runs the quickstart; returns the process exit code (0 done, 2 bad arguments, 130 cancelled).</summary>
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
            return 2;
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
            return 2;
        }

        AnsiConsole.MarkupLine($"[bold]Self-Refinement Tuning quickstart[/] ({settings.Name} settings, seed {arguments.Seed}) → {Markup.Escape(runDirectory)}");
        var clock = Stopwatch.StartNew();
        QuickstartRun? run = null;
        IReadOnlyList<Evaluation> evaluations = [];
        try
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    run = new QuickstartRun(runDirectory, settings, arguments.Seed, new RunProgress(context));
                    evaluations = await run.RunAsync(cancellationToken);
                });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled. Everything finished so far is in the run directory; run the same command again to continue.");
            return 130;
        }

        var report = new QuickstartReport(settings, arguments.Seed, runDirectory, evaluations, run!, clock.Elapsed);
        report.Print();
        report.WriteResults();
        report.WriteChart();
        return 0;
    }
}
