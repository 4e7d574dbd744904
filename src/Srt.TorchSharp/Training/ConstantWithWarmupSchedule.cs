namespace Srt.TorchSharp.Training;

/// <summary>Linear warm-up from 0 then a constant factor 1, as Hugging Face's <c>get_constant_schedule_with_warmup</c>
/// (with no warm-up steps, its <c>get_constant_schedule</c>).</summary>
internal sealed class ConstantWithWarmupSchedule(int totalSteps, double warmupRatio) : ILearningRateSchedule
{
    public int WarmupSteps { get; } = (int)Math.Ceiling(totalSteps * warmupRatio);

    public double Factor(int step) => step < WarmupSteps ? (double)step / Math.Max(1, WarmupSteps) : 1.0;
}
