namespace Srt.TorchSharp.Training;

/// <summary>A learning-rate multiplier per optimizer step (0-based), applied to the peak rate.</summary>
internal interface ILearningRateSchedule
{
    /// <summary>Steps of linear warm-up from 0.</summary>
    int WarmupSteps { get; }

    /// <summary>The factor for optimizer step <paramref name="step"/> (0-based).</summary>
    double Factor(int step);
}
