using System.CommandLine;
using Srt.Samples;

namespace Srt.Cli;

/// <summary>How every command ends: bad settings exit 2 before anything runs; a failure exits 1, Ctrl+C 130.</summary>
internal static class CommandActions
{
    public static void Set(Command command, CliHost host, Func<CommandInput, PreparedCommand> prepare)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            PreparedCommand prepared;
            try
            {
                prepared = prepare(CommandInput.Read(parse));
            }
            catch (Exception exception) when (exception is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException)
            {
                host.Output.WriteLine($"error: {exception.Message}");
                host.Output.WriteLine($"Run 'srt {command.Name} --help' for the options.");
                return SampleExit.BadUsage;
            }

            try
            {
                await prepared.ExecuteAsync(cancellationToken).ConfigureAwait(false);
                return SampleExit.Done;
            }
            catch (Exception exception) when (prepared.RunDirectory is not null)
            {
                return SampleExit.Report(exception, host.Output, prepared.RunDirectory, prepared.Verbose, cancellationToken.IsCancellationRequested);
            }
            catch (Exception exception)
            {
                if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    host.Output.WriteLine("Interrupted.");
                    return SampleExit.Interrupted;
                }

                host.Output.WriteLine($"error: {exception.Message}");
                if (prepared.Verbose)
                {
                    host.Output.WriteLine(exception.ToString());
                }

                return SampleExit.Failed;
            }
        });
    }
}
