namespace Srt.Tests.TestDoubles;

/// <summary>Reports on the caller's thread, in order (<see cref="Progress{T}"/> posts to the thread pool).</summary>
internal sealed class SynchronousProgress(Action<StageProgress> report) : IProgress<StageProgress>
{
    public void Report(StageProgress value) => report(value);
}
