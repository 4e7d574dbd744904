using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>The loop's log messages about critiques sent in batches (kept apart so the event ids stay together).</summary>
internal static partial class LoopLog
{
    [LoggerMessage(40, LogLevel.Information, "Stage 1: sending {Count} {Kind} to the batch critic.")]
    public static partial void BatchRoundStarting(ILogger logger, int count, string kind);

    [LoggerMessage(41, LogLevel.Information, "Stage 1: batch round settled: {Requests} requests, {Completed} answered in batches, {Synchronous} retried synchronously, {Failed} failed; {Created} batches created, {Resumed} resumed.")]
    public static partial void BatchRoundFinished(ILogger logger, int requests, int completed, int synchronous, int failed, int created, int resumed);
}
