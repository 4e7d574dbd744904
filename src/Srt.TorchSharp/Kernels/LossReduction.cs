namespace Srt.TorchSharp.Kernels;

/// <summary>How per-token losses are reduced to the scalar that is returned.</summary>
public enum LossReduction
{
    /// <summary>The mean over supervised tokens; a batch without supervised tokens gives 0, not NaN. The default.</summary>
    Mean = 0,

    /// <summary>The sum over supervised tokens (for gradient accumulation that divides by a global token count).</summary>
    Sum = 1,
}
