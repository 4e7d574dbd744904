namespace Srt.TorchSharp.Training;

/// <summary>Where the DPO reference model's log-probabilities come from.</summary>
public enum DpoReference
{
    /// <summary>
    /// Computed once, before the first step, with the starting model (adapters disabled under LoRA), then read from a
    /// cache (<c>reference_logps.jsonl</c> in the output directory, keyed by pair id; in memory without one). No second
    /// model in memory and one reference pass per pair, the same count as the other choices make in one epoch.
    /// </summary>
    Precomputed = 0,

    /// <summary>A frozen deep copy of the starting model's weights (no gradients), run next to the policy every step.
    /// Doubles the weight memory.</summary>
    FrozenCopy = 1,

    /// <summary>The policy itself with its LoRA adapters switched off (requires <see cref="TorchSharpTrainerOptions.Lora"/>);
    /// no second copy in memory.</summary>
    AdaptersDisabled = 2,
}
