using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Runs a stage's training once: a finished run leaves <c>training.done.json</c> in the stage folder, and a rerun
/// that finds it skips training and restores the trained weights into the policy (<see cref="PolicyWeights"/>). A
/// rerun after a crash mid-training calls the trainer again, which resumes from the checkpoints it writes under
/// <c>training/</c>.
/// </summary>
internal sealed class TrainingStep(
    int stage, string stageFolder, StageCounters counters, int total, IProgress<StageProgress>? progress, PolicyWeights weights, ILogger logger)
{
    public string OutputDirectory => RunLayout.TrainingFolder(stageFolder);

    private string MarkerPath => RunLayout.TrainingMarkerPath(stageFolder);

    // startWeights: the identity of the weights this stage trains from (the base for stage 1, the stage-1 model for
    // stage 2); a finished training that started from other weights is stale.
    public async Task<(TrainingResult? Result, bool Resumed)> RunAsync(
        string startWeights,
        string name,
        int count,
        string what,
        Func<IProgress<TrainingProgress>, CancellationToken, Task<TrainingResult>> train,
        CancellationToken cancellationToken)
    {
        TrainingMarker? marker = PolicyWeights.ReadMarker(stageFolder);
        if (marker is not null && marker.StartWeights is { } start && start != startWeights)
        {
            // Trained from other weights than the policy holds now (an earlier stage was trained again since): its
            // result is not this stage's. Its files are kept aside, not deleted, and the stage trains again.
            string aside = $".stale-{marker.WeightsId}";
            LoopLog.StaleTraining(logger, stage, MarkerPath, start, startWeights, aside);
            if (Directory.Exists(OutputDirectory))
            {
                Directory.Move(OutputDirectory, OutputDirectory + aside);
            }

            File.Move(MarkerPath, MarkerPath + aside);
            marker = null;
        }

        if (marker is not null)
        {
            LoopLog.TrainingResumed(logger, stage, MarkerPath);
            if (marker.Examples != count)
            {
                LoopLog.TrainingMarkerMismatch(logger, stage, marker.Examples, count, MarkerPath);
            }

            await weights.RestoreAsync(stage, stageFolder, marker, cancellationToken).ConfigureAwait(false);
            return (marker.ToResult(stageFolder), true);
        }

        if (count == 0)
        {
            LoopLog.NothingToTrain(logger, stage);
            return (null, false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        LoopLog.TrainingStarting(logger, stage, count, what);
        progress?.Report(counters.Snapshot(StagePhase.Training, total));
        var relay = new RelayProgress(report =>
        {
            SrtTelemetry.TrainingStep(stage, report);
            progress?.Report(counters.Snapshot(StagePhase.Training, total, report));
        });
        using Activity? activity = SrtTelemetry.Source.StartActivity("srt.training");
        activity?.SetTag(SrtTelemetry.StageTag, stage);
        activity?.SetTag("srt.training.name", name);
        activity?.SetTag("srt.training.examples", count);
        TrainingResult result;
        try
        {
            result = await train(relay, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            SrtTelemetry.Failed(activity, exception);
            throw;
        }

        activity?.SetTag("srt.training.steps", result.Steps);
        activity?.SetTag("srt.training.final_loss", result.FinalLoss);
        marker = TrainingMarker.From(name, count, result, stageFolder, startWeights);
        RunJson.WriteDocument(MarkerPath, marker);
        weights.Trained(marker);
        LoopLog.TrainingFinished(logger, stage, result.Steps, result.FinalLoss);
        return (result, false);
    }

    /// <summary>Forwards synchronously (unlike <see cref="Progress{T}"/>, which posts to a context) so reports keep their order.</summary>
    private sealed class RelayProgress(Action<TrainingProgress> forward) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => forward(value);
    }
}
