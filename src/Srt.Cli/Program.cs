// The srt command: Self-Refinement Tuning from the command line. See docs/cli.md.
using Srt.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops cleanly (finished work stays in the run directory); a second one kills.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

return await SrtCli.InvokeAsync(args, CliHost.Console, cancellation.Token);
