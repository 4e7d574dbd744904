using System.CommandLine;
using System.CommandLine.Help;
using Srt.Samples;

namespace Srt.Cli;

/// <summary>The <c>srt</c> command line: <c>run</c>, <c>eval</c>, <c>export</c> and <c>plan</c>.</summary>
public static class SrtCli
{
    /// <summary>Parses <paramref name="args"/> and runs the command they name.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="host">Where output goes and where environment variables come from.</param>
    /// <param name="cancellationToken">Stops the command (Ctrl+C); finished work stays in the run directory.</param>
    /// <returns>The exit code: 0 done, 1 failed, 2 bad usage, 130 interrupted (rerun to continue).</returns>
    public static async Task<int> InvokeAsync(string[] args, CliHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(host);
        Command root = CreateRootCommand(host);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine exits 1 on a parse error; here 1 means a run failed, so bad usage gets its own code.
            foreach (var error in parse.Errors)
            {
                host.Output.WriteLine($"error: {error.Message}");
            }

            string command = parse.CommandResult.Command == root ? "srt" : $"srt {parse.CommandResult.Command.Name}";
            host.Output.WriteLine($"Run '{command} --help' for the options.");
            return SampleExit.BadUsage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = host.Output,
            Error = host.Output,

            // Ctrl+C is the caller's (Program.cs cancels the token); every command ends in a message and an exit code itself.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the command tree.</summary>
    /// <param name="host">Where the commands write and read the environment.</param>
    /// <returns>The root command.</returns>
    /// <remarks>A <see cref="RootCommand"/> would name itself after the assembly (Srt.Cli) in help text; the tool's command is <c>srt</c>.</remarks>
    internal static Command CreateRootCommand(CliHost host) =>
        new("srt",
            "srt: Self-Refinement Tuning (Hu et al. 2024) of a Hugging Face model with an OpenAI-compatible critic. " +
            "Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (rerun the same command to continue).")
        {
            new HelpOption(),
            new VersionOption(),
            RunCommand.Create(host),
            EvalCommand.Create(host),
            ExportCommand.Create(host),
            PlanCommand.Create(host),
        };
}
