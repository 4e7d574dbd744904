using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// Which weights the policy holds, as the loop knows it: <see cref="TrainingMarker.BaseWeights"/> (those it came with)
/// until a stage's training finishes or is restored, then that training's id. A rerun that finds a stage's training
/// done restores its checkpoint through the trainer's <see cref="ITrainedStateRestorer"/>; stored generations record
/// <see cref="Current"/> so that work from other weights is never reused.
/// </summary>
internal sealed class PolicyWeights(ITrainer trainer, RunDirectory run, ILogger logger)
{
    public string Current { get; private set; } = TrainingMarker.BaseWeights;

    public static TrainingMarker? ReadMarker(string stageFolder) =>
        RunJson.ReadDocument<TrainingMarker>(RunLayout.TrainingMarkerPath(stageFolder));

    /// <summary>Records that the policy now holds what a training run just made.</summary>
    public void Trained(TrainingMarker marker) => Current = marker.WeightsId;

    /// <summary>
    /// Fails before any work when a stage about to run will have to restore finished training and cannot: the trainer
    /// offers no <see cref="ITrainedStateRestorer"/>, or a marker's checkpoint folder is missing.
    /// </summary>
    public void CheckRestorable(int stage, IEnumerable<string> stageFolders)
    {
        foreach (string folder in stageFolders)
        {
            if (ReadMarker(folder) is not { } marker || marker.WeightsId == Current)
            {
                continue;
            }

            string markerPath = RunLayout.TrainingMarkerPath(folder);
            if (trainer.GetService(typeof(ITrainedStateRestorer)) is not ITrainedStateRestorer)
            {
                throw new InvalidOperationException(
                    $"Stage {stage}: {markerPath} says this training finished, so the loop must restore its weights before going on, but the trainer " +
                    $"({trainer.GetType().Name}) offers no {nameof(ITrainedStateRestorer)} through GetService. Use a trainer that can restore its " +
                    "checkpoints (TorchSharpTrainer does), or start a new run directory.");
            }

            string? checkpoint = marker.ResolveCheckpoint(folder);
            if (checkpoint is null || !Directory.Exists(checkpoint))
            {
                throw new InvalidOperationException(
                    $"Stage {stage}: {markerPath} says this training finished, but its checkpoint folder " +
                    $"{(checkpoint is null ? "was never written" : $"'{checkpoint}' is missing")}, so its weights cannot be restored. " +
                    "Delete the marker to train this stage again.");
            }
        }
    }

    /// <summary>
    /// Makes the policy hold the model the last finished training of <paramref name="chain"/> made, where each step
    /// trained on top of the one before it (stage 1, stage 2, round 1, …). Restores every step after the last one the
    /// policy already holds, in order: a LoRA checkpoint holds only its own adapters, so the steps before it must be in
    /// the model first. Steps without a marker (nothing was trained) are passed over.
    /// </summary>
    public async Task RestoreChainAsync(int stage, IReadOnlyList<string> chain, CancellationToken cancellationToken)
    {
        var markers = chain.Select(folder => (Folder: folder, Marker: ReadMarker(folder))).ToList();
        int held = markers.FindLastIndex(step => step.Marker?.WeightsId == Current);
        foreach (var (folder, marker) in markers.Skip(held + 1))
        {
            if (marker is not null)
            {
                await RestoreAsync(stage, folder, marker, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Makes the policy hold the weights of the stage's finished training, restoring them unless it already does.</summary>
    public async Task RestoreAsync(int stage, string stageFolder, TrainingMarker marker, CancellationToken cancellationToken)
    {
        if (marker.WeightsId == Current)
        {
            return;
        }

        CheckRestorable(stage, [stageFolder]);
        var restorer = (ITrainedStateRestorer)trainer.GetService(typeof(ITrainedStateRestorer))!;
        string checkpoint = marker.ResolveCheckpoint(stageFolder)!;
        LoopLog.RestoringTrainedWeights(logger, stage, checkpoint, run.Root);
        await restorer.RestoreAsync(checkpoint, cancellationToken).ConfigureAwait(false);
        Current = marker.WeightsId;
    }
}
