using Srt;

namespace Srt.Samples;

/// <summary>
/// How the sample programs end: a message and an exit code, never an unhandled exception. Linked into each sample
/// project (samples/Shared), so the codes and wording are the same everywhere.
/// </summary>
internal static class SampleExit
{
    /// <summary>The run finished.</summary>
    public const int Done = 0;

    /// <summary>The run failed; the message says why.</summary>
    public const int Failed = 1;

    /// <summary>The command line or its files are wrong; nothing ran.</summary>
    public const int BadUsage = 2;

    /// <summary>Interrupted (Ctrl+C); finished work is in the run directory and a rerun continues.</summary>
    public const int Interrupted = 130;

    /// <summary>Writes why the run stopped and returns the exit code for it.</summary>
    /// <param name="exception">What stopped the run.</param>
    /// <param name="output">Where the message goes.</param>
    /// <param name="runDirectory">The run directory, named so the user knows where finished work is.</param>
    /// <param name="verbose">Whether to add the exception's full text (stack trace included).</param>
    /// <param name="interrupted">Whether the user asked the run to stop (the cancellation token fired).</param>
    /// <returns><see cref="Interrupted"/> or <see cref="Failed"/>.</returns>
    public static int Report(Exception exception, TextWriter output, string runDirectory, bool verbose, bool interrupted)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(output);
        string folder = Path.GetFullPath(runDirectory);
        if (interrupted && exception is OperationCanceledException)
        {
            output.WriteLine($"Interrupted. Finished work is in {folder}; run the same command again to continue.");
            return Interrupted;
        }

        output.WriteLine(exception is UnrecoverableCallException stop
            ? $"error: {stop.Message}"
            : $"error: {Describe(exception)}");
        output.WriteLine($"Finished work is in {folder}; a rerun continues from there.");
        output.WriteLine(verbose ? exception.ToString() : "Run with --verbose for the full error.");
        return Failed;
    }

    /// <summary>The exception's message, and its innermost cause's when that says more.</summary>
    private static string Describe(Exception exception)
    {
        Exception root = exception;
        while (root.InnerException is { } inner)
        {
            root = inner;
        }

        return ReferenceEquals(root, exception) || exception.Message.Contains(root.Message, StringComparison.Ordinal)
            ? exception.Message
            : $"{exception.Message} ({root.GetType().Name}: {root.Message})";
    }
}
