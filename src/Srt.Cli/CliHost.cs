namespace Srt.Cli;

/// <summary>What the <c>srt</c> commands talk to: where output goes, how environment variables are read, and whether output is a terminal.</summary>
/// <param name="Output">Where reports, progress and error messages go.</param>
/// <param name="Environment">Reads an environment variable (API keys); returns <see langword="null"/> when it is not set.</param>
/// <param name="IsOutputRedirected">
/// Whether <paramref name="Output"/> is a file or a pipe rather than a terminal: progress is then written as plain
/// lines, one per phase, instead of live progress bars.
/// </param>
public sealed record CliHost(TextWriter Output, Func<string, string?> Environment, bool IsOutputRedirected)
{
    /// <summary>Gets the host of the process: the console, its environment, and <see cref="Console.IsOutputRedirected"/>.</summary>
    public static CliHost Console { get; } = new(System.Console.Out, System.Environment.GetEnvironmentVariable, System.Console.IsOutputRedirected);
}
