using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>The loop's log messages. Item contents (prompts, responses, critiques) are logged only at Trace.</summary>
internal static partial class LoopLog
{
    [LoggerMessage(1, LogLevel.Information, "Stage {Stage}: {Total} items; {Stored} already have a model output on disk, {ToGenerate} to generate, run directory {RunDirectory}.")]
    public static partial void StageStarting(ILogger logger, int stage, int total, int stored, int toGenerate, string runDirectory);

    [LoggerMessage(2, LogLevel.Debug, "Stage {Stage}: generated a batch of {Count} ({Generated}/{Total}).")]
    public static partial void BatchGenerated(ILogger logger, int stage, int count, int generated, int total);

    [LoggerMessage(3, LogLevel.Debug, "Stage {Stage}: item {Id} {Outcome}{Reason}.")]
    public static partial void ItemSettled(ILogger logger, int stage, string id, ItemOutcome outcome, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Stage {Stage}: item {Id} failed while {Phase}: {Reason}. The run continues.")]
    public static partial void ItemFailed(ILogger logger, int stage, string id, StagePhase phase, string reason);

    [LoggerMessage(5, LogLevel.Trace, "Stage {Stage}: item {Id} {Part}:\n{Text}")]
    public static partial void Content(ILogger logger, int stage, string id, string part, string text);

    [LoggerMessage(6, LogLevel.Information, "Stage {Stage}: {Kept} kept, {Filtered} filtered, {Failed} failed of {Total}; {Calls} critic calls this run.")]
    public static partial void StageSettled(ILogger logger, int stage, int kept, int filtered, int failed, int total, int calls);

    [LoggerMessage(7, LogLevel.Information, "Stage {Stage}: training already finished in an earlier run ({Marker}); skipping it.")]
    public static partial void TrainingResumed(ILogger logger, int stage, string marker);

    [LoggerMessage(8, LogLevel.Warning, "Stage {Stage}: the finished training used {Before} examples but {Now} are kept now; delete {Marker} to train again.")]
    public static partial void TrainingMarkerMismatch(ILogger logger, int stage, int before, int now, string marker);

    [LoggerMessage(9, LogLevel.Warning, "Stage {Stage}: nothing was kept, so there is nothing to train on.")]
    public static partial void NothingToTrain(ILogger logger, int stage);

    [LoggerMessage(10, LogLevel.Information, "Stage {Stage}: training on {Count} {What}.")]
    public static partial void TrainingStarting(ILogger logger, int stage, int count, string what);

    [LoggerMessage(11, LogLevel.Information, "Stage {Stage}: training finished: {Steps} steps, final loss {Loss:F4}.")]
    public static partial void TrainingFinished(ILogger logger, int stage, int steps, double loss);

    [LoggerMessage(12, LogLevel.Information, "Stage {Stage}: {Count} items failed in an earlier run and are not retried (RetryFailedItems is off).")]
    public static partial void FailuresNotRetried(ILogger logger, int stage, int count);

    [LoggerMessage(41, LogLevel.Information, "Stage {Stage}: restoring the trained weights from {Checkpoint} (run directory {RunDirectory}).")]
    public static partial void RestoringTrainedWeights(ILogger logger, int stage, string checkpoint, string runDirectory);

    [LoggerMessage(42, LogLevel.Warning, "Stage {Stage}: {Count} stored {What} in {File} came from other weights than the policy holds now ({Weights}); generating them again.")]
    public static partial void StaleGenerations(ILogger logger, int stage, int count, string what, string file, string weights);

    [LoggerMessage(43, LogLevel.Warning, "Stage 1: {Count} stored critic results in {File} judged another text than the one stored now (the response was generated again); asking again.")]
    public static partial void StaleCritiques(ILogger logger, int count, string file);

    [LoggerMessage(44, LogLevel.Warning, "Stage {Stage}: {Marker} records a training that started from weights {Start}, but this stage now starts from {Weights}; its files are moved aside (suffix {Suffix}) and the stage trains again.")]
    public static partial void StaleTraining(ILogger logger, int stage, string marker, string start, string weights, string suffix);
}
