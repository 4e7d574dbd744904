namespace Srt.TorchSharp.Training;

/// <summary>The shape of the learning rate over a run (both warm up linearly from 0 first).</summary>
public enum LearningRateSchedule
{
    /// <summary>Cosine decay from the peak to 0 at the last step (Hugging Face's <c>cosine</c>; the paper's).</summary>
    Cosine,

    /// <summary>The peak rate held to the end (Hugging Face's <c>constant_with_warmup</c>).</summary>
    ConstantWithWarmup,
}
