namespace Srt.Cli;

/// <summary>A command whose settings are read and checked: what is left is to run it.</summary>
/// <param name="RunDirectory">The run directory named in failure messages (finished work is there); <see langword="null"/> when the command has none.</param>
/// <param name="Verbose">Whether a failure prints the full exception.</param>
/// <param name="ExecuteAsync">Does the work.</param>
internal sealed record PreparedCommand(string? RunDirectory, bool Verbose, Func<CancellationToken, Task> ExecuteAsync);
