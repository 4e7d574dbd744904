namespace Srt.TorchSharp.Training;

/// <summary>Builds the schedule the options ask for.</summary>
internal static class LearningRateSchedules
{
    public static ILearningRateSchedule Create(TorchSharpTrainerOptions options, int totalSteps) => options.LearningRateSchedule switch
    {
        LearningRateSchedule.ConstantWithWarmup => new ConstantWithWarmupSchedule(totalSteps, options.WarmupRatio),
        _ => new CosineWithWarmupSchedule(totalSteps, options.WarmupRatio),
    };
}
