namespace Srt.TorchSharp.Tests.Training;

/// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; posts asynchronously, too late to cancel a step).</summary>
internal sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
