namespace Srt.TorchSharp.Training;

/// <summary>
/// Settings of supervised fine-tuning runs (<see cref="TorchSharpTrainer.TrainSupervisedAsync"/>, the method's stage 1),
/// as TRL's <c>SFTConfig</c>. A new instance holds the paper's stage-1 values (Hu et al. 2024): full fine-tuning,
/// lr 1e-5, 5 epochs, global batch 32, cosine schedule, 10% warm-up, 8,192 tokens.
/// </summary>
/// <remarks>
/// Every setting is shared with <see cref="PreferenceTrainerOptions"/> through <see cref="TorchSharpTrainerOptions"/>;
/// only the stage's defaults differ. The loss mask is not a setting: the training sequence marks which segments carry
/// loss (the paper trains response, feedback and refinement; only the instruction is masked).
/// </remarks>
public sealed class SupervisedTrainerOptions : TorchSharpTrainerOptions
{
    /// <summary>Gets or sets the peak learning rate (after warm-up; cosine decay to 0 at the last step).</summary>
    /// <value>The default is 1e-5 (the paper's stage 1).</value>
    public override double LearningRate { get; set; } = 1e-5;

    /// <summary>Gets or sets the number of passes over the data.</summary>
    /// <value>The default is 5 (the paper's stage 1).</value>
    public override int Epochs { get; set; } = 5;

    internal override TrainingKind Kind => TrainingKind.Supervised;

    private protected override void ValidateKind()
    {
        // Supervised runs have no settings beyond the shared ones.
    }
}
