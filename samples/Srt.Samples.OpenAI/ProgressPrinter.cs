namespace Srt.Samples.OpenAI;

/// <summary>Prints one line each time a stage enters a new phase.</summary>
internal sealed class ProgressPrinter(TextWriter output) : IProgress<StageProgress>
{
    private readonly Lock _gate = new();
    private (int Stage, StagePhase Phase) _last;

    public void Report(StageProgress value)
    {
        lock (_gate)
        {
            if ((value.Stage, value.Phase) != _last)
            {
                _last = (value.Stage, value.Phase);
                output.WriteLine($"stage {value.Stage}: {value.Phase,-11} {value.ItemsDone}/{value.ItemsTotal} settled, {value.Kept} kept, {value.CriticCalls} critic calls");
            }
        }
    }
}
