namespace Srt.TorchSharp.Training;

/// <summary>Linear warm-up from 0 then cosine decay towards 0, as Hugging Face's
/// <c>get_cosine_schedule_with_warmup</c>: the factor for optimizer step <c>s</c> (0-based).</summary>
internal sealed class CosineWithWarmupSchedule(int totalSteps, double warmupRatio) : ILearningRateSchedule
{
    public int TotalSteps { get; } = totalSteps;

    public int WarmupSteps { get; } = (int)Math.Ceiling(totalSteps * warmupRatio);

    public double Factor(int step)
    {
        if (step < WarmupSteps)
        {
            return (double)step / Math.Max(1, WarmupSteps);
        }
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
