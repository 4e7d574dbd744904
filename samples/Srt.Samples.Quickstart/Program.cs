// Quickstart: Self-Refinement Tuning end to end on a laptop CPU, no download, no API key. A tiny Llama policy is
// pretrained on sums, improved by stage 1 (learning from a rule-based critic's written feedback) and stage 2 (DPO on
// its own self-refinements), and compared on held-out sums with the "refinements only" ablation. Everything lands
// in a resumable run directory: rerun to continue, --fresh to start over.
using System.Diagnostics;
using Spectre.Console;
using Srt.Samples.Quickstart;

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

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
string runDirectory = Path.GetFullPath(arguments.RunDirectory);
if (arguments.Fresh && Directory.Exists(runDirectory))
{
    Directory.Delete(runDirectory, recursive: true);
}

QuickstartSettings settings = arguments.Quick ? QuickstartSettings.Quick : QuickstartSettings.Default;
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
            evaluations = await run.RunAsync(cancellation.Token);
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
