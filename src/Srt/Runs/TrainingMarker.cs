namespace Srt;

/// <summary>The content of a stage's or round's <c>training.done.json</c> (<see cref="RunLayout.TrainingMarkerFileName"/>): proof a training step finished.</summary>
/// <remarks><c>id</c>: A random id written once, when the training finished: the identity of the weights it made. Stored
/// generations record the id of the weights that wrote them, so work from other weights is never reused.
/// <c>checkpointDirectory</c>: the trainer's last checkpoint, relative to the stage folder (with '/'), so the run
/// directory can be moved or copied; files written before the id existed hold an absolute path.
/// <c>startWeights</c>: the identity of the weights the training started from; a marker whose start differs from the
/// weights the policy holds when the stage comes to train (stage 1 was trained again since) is stale.</remarks>
internal sealed record TrainingMarker(
    string Name,
    int Examples,
    int Steps,
    double FinalLoss,
    long TrainedTokens,
    int TruncatedExamples,
    string? CheckpointDirectory,
    DateTimeOffset CompletedAt,
    string? Id = null,
    string? StartWeights = null)
{
    /// <summary>The identity of weights no training of this run directory made: those the policy came with.</summary>
    public const string BaseWeights = "base";

    /// <summary>Gets the weights identity: the stored id, or for a marker from before ids one derived from its content.</summary>
    public string WeightsId => Id ?? $"{Name}-{CompletedAt.UtcTicks}";

    public static TrainingMarker From(string name, int examples, TrainingResult result, string stageFolder, string startWeights) =>
        new(name, examples, result.Steps, result.FinalLoss, result.TrainedTokens, result.TruncatedExamples,
            Relative(stageFolder, result.CheckpointDirectory), DateTimeOffset.UtcNow, $"{name}-{Guid.NewGuid():N}", startWeights);

    /// <summary>The checkpoint folder as it is now: the stored relative path under <paramref name="stageFolder"/>. An
    /// absolute path (older files) is mapped to the same place under this stage folder when it lies in a stage folder
    /// of the same name and that place exists; otherwise it is taken as it is.</summary>
    public string? ResolveCheckpoint(string stageFolder)
    {
        if (CheckpointDirectory is not { } stored)
        {
            return null;
        }

        if (!Path.IsPathRooted(stored))
        {
            return Path.GetFullPath(Path.Combine(stageFolder, stored));
        }

        string marker = Path.DirectorySeparatorChar + Path.GetFileName(stageFolder) + Path.DirectorySeparatorChar;
        int at = stored.LastIndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            string moved = Path.Combine(stageFolder, stored[(at + marker.Length)..]);
            if (Directory.Exists(moved))
            {
                return moved;
            }
        }

        return stored;
    }

    public TrainingResult ToResult(string stageFolder) => new(Steps, FinalLoss)
    {
        TrainedTokens = TrainedTokens,
        TruncatedExamples = TruncatedExamples,
        CheckpointDirectory = ResolveCheckpoint(stageFolder),
    };

    private static string? Relative(string stageFolder, string? checkpoint)
    {
        if (checkpoint is null)
        {
            return null;
        }

        string full = Path.GetFullPath(checkpoint);
        string relative = Path.GetRelativePath(stageFolder, full);

        // A checkpoint outside the stage folder (a trainer that writes elsewhere) stays absolute: moving the run
        // directory does not move it.
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? full
            : relative.Replace(Path.DirectorySeparatorChar, '/');
    }
}
