namespace Srt;

/// <summary>The content of <c>stage1/training.done.json</c> and <c>stage2/training.done.json</c>: proof a training step finished.</summary>
internal sealed record TrainingMarker(
    string Name,
    int Examples,
    int Steps,
    double FinalLoss,
    long TrainedTokens,
    int TruncatedExamples,
    string? CheckpointDirectory,
    DateTimeOffset CompletedAt)
{
    public static TrainingMarker From(string name, int examples, TrainingResult result) =>
        new(name, examples, result.Steps, result.FinalLoss, result.TrainedTokens, result.TruncatedExamples, result.CheckpointDirectory, DateTimeOffset.UtcNow);

    public TrainingResult ToResult() => new(Steps, FinalLoss)
    {
        TrainedTokens = TrainedTokens,
        TruncatedExamples = TruncatedExamples,
        CheckpointDirectory = CheckpointDirectory,
    };
}
