using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Runs a stage's training once: a finished run leaves <c>training.done.json</c> in the stage folder, and a rerun
/// that finds it skips training (a rerun after a crash mid-training trains again from the start; resuming inside a
/// training run is the trainer's job, from the checkpoints it writes under <c>training/</c>).
/// </summary>
internal sealed class TrainingStep(int stage, string stageFolder, StageCounters counters, int total, IProgress<StageProgress>? progress, ILogger logger)
{
    public string OutputDirectory => Path.Combine(stageFolder, RunDirectory.TrainingFolderName);

    private string MarkerPath => Path.Combine(stageFolder, RunDirectory.TrainingMarkerName);

    public async Task<(TrainingResult? Result, bool Resumed)> RunAsync(
        string name,
        int count,
        string what,
        Func<IProgress<TrainingProgress>, CancellationToken, Task<TrainingResult>> train,
        CancellationToken cancellationToken)
    {
        TrainingMarker? marker = RunJson.ReadDocument<TrainingMarker>(MarkerPath);
        if (marker is not null)
        {
            LoopLog.TrainingResumed(logger, stage, MarkerPath);
            if (marker.Examples != count)
            {
                LoopLog.TrainingMarkerMismatch(logger, stage, marker.Examples, count, MarkerPath);
            }

            return (marker.ToResult(), true);
        }

        if (count == 0)
        {
            LoopLog.NothingToTrain(logger, stage);
            return (null, false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        LoopLog.TrainingStarting(logger, stage, count, what);
        progress?.Report(counters.Snapshot(stage, StagePhase.Training, total));
        var relay = new RelayProgress(report => progress?.Report(counters.Snapshot(stage, StagePhase.Training, total, report)));
        TrainingResult result = await train(relay, cancellationToken).ConfigureAwait(false);
        RunJson.WriteDocument(MarkerPath, TrainingMarker.From(name, count, result));
        LoopLog.TrainingFinished(logger, stage, result.Steps, result.FinalLoss);
        return (result, false);
    }

    /// <summary>Forwards synchronously (unlike <see cref="Progress{T}"/>, which posts to a context) so reports keep their order.</summary>
    private sealed class RelayProgress(Action<TrainingProgress> forward) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => forward(value);
    }
}
