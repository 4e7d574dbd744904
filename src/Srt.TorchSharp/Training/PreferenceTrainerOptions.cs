namespace Srt.TorchSharp.Training;

/// <summary>
/// Settings of DPO runs on preference pairs (<see cref="TorchSharpTrainer.TrainPreferenceAsync"/>, the method's stage 2),
/// as TRL's <c>DPOConfig</c>. A new instance holds the paper's stage-2 values (Hu et al. 2024): DPO with β 0.01,
/// lr 5e-7, 1 epoch; the shared settings (global batch 32, cosine schedule, 10% warm-up, 8,192 tokens) as stage 1.
/// </summary>
public sealed class PreferenceTrainerOptions : TorchSharpTrainerOptions
{
    /// <summary>Gets or sets the peak learning rate (after warm-up; cosine decay to 0 at the last step).</summary>
    /// <value>The default is 5e-7 (the paper's stage 2).</value>
    public override double LearningRate { get; set; } = 5e-7;

    /// <summary>Gets or sets the number of passes over the pairs.</summary>
    /// <value>The default is 1 (the paper's stage 2).</value>
    public override int Epochs { get; set; } = 1;

    /// <summary>Gets or sets DPO's β (strength of the KL constraint to the reference).</summary>
    /// <value>The default is 0.01 (the paper's stage 2).</value>
    public double DpoBeta { get; set; } = 0.01;

    /// <summary>
    /// Gets or sets the weight α of a negative log-likelihood term on the chosen answers added to the DPO loss:
    /// loss = DPO + α · (−log π(chosen) ÷ its answer tokens), TRL's <c>rpo_alpha</c> (Pang et al. 2024, "Iterative
    /// Reasoning Preference Optimization"). Plain DPO can lower the likelihood of both answers while it widens their
    /// margin; the NLL term keeps the chosen answers likely, which matters most for small models and exact answers.
    /// 0 is plain DPO.
    /// </summary>
    /// <value>The default is 0 (plain DPO, as in the paper).</value>
    public double DpoNllWeight { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a preference answer's log-prob includes the end of turn after it.
    /// <see langword="false"/> scores the answer as a prefix: for a policy that continues after its answer (SRT's
    /// self-refinement format writes feedback after the response), P(end of turn | answer) is near zero for both answers
    /// and training it teaches the policy to stop answering there.
    /// </summary>
    /// <value>The default is <see langword="true"/> (as TRL).</value>
    public bool DpoScoresEndOfTurn { get; set; } = true;

    /// <summary>Gets or sets where the DPO reference log-probs come from.</summary>
    /// <value>The default is <see cref="DpoReference.Precomputed"/>: the paper's reference, the stage-1 model as the run
    /// starts, scored once before the first step, so no second model stays in memory.</value>
    public DpoReference DpoReference { get; set; } = DpoReference.Precomputed;

    internal override TrainingKind Kind => TrainingKind.Preference;

    private protected override void ValidateKind()
    {
        Require(DpoBeta > 0 && double.IsFinite(DpoBeta), nameof(DpoBeta), DpoBeta, "must be positive");
        Require(DpoNllWeight >= 0 && double.IsFinite(DpoNllWeight), nameof(DpoNllWeight), DpoNllWeight, "must be zero or positive");
        Require(Enum.IsDefined(DpoReference), nameof(DpoReference), DpoReference, "is not a known reference kind");
        Require(DpoReference != DpoReference.AdaptersDisabled || Lora is not null, nameof(DpoReference), DpoReference,
            "needs LoRA (set Lora) to disable adapters");
    }
}
