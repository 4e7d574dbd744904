namespace Srt.TorchSharp.Training;

/// <summary>A tokenized training sequence: <c>LossMask[i]</c> says whether token <c>i</c> is a trained target
/// (the loss of predicting it from tokens 0..i-1 counts). Token 0 is never a target.</summary>
internal sealed record TrainingSequence(string Id, int[] Ids, bool[] LossMask)
{
    public int Length => Ids.Length;

    public int TrainedTokens => LossMask.Count(m => m);
}
