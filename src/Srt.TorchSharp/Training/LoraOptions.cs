namespace Srt.TorchSharp.Training;

/// <summary>Low-rank adapters (LoRA, Hu et al. 2021) for parameter-efficient fine-tuning, as in Hugging Face PEFT.</summary>
public sealed class LoraOptions
{
    /// <summary>The projections the trainer wraps, named as in Hugging Face Llama checkpoints.</summary>
    public static IReadOnlyList<string> AllLinearProjections { get; } =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>The fused projections of Phi-3 models, which PEFT targets by these names: <c>qkv_proj</c> (queries,
    /// keys and values in one matrix) and <c>gate_up_proj</c>. A Phi-3 model's projections are these two plus
    /// <c>o_proj</c> and <c>down_proj</c>.</summary>
    public static IReadOnlyList<string> FusedLinearProjections { get; } = ["qkv_proj", "gate_up_proj"];

    /// <summary>Gets or sets the adapter rank r.</summary>
    /// <value>The default is 8.</value>
    public int Rank { get; set; } = 8;

    /// <summary>Gets or sets alpha; the adapter output is scaled by alpha / r.</summary>
    /// <value>The default is 16.</value>
    public double Alpha { get; set; } = 16;

    /// <summary>Gets or sets the dropout applied to the adapter input while training.</summary>
    /// <value>The default is 0.05.</value>
    public double Dropout { get; set; } = 0.05;

    /// <summary>Gets or sets the names of the linear projections to adapt (the last part of the module path).</summary>
    /// <value>The default is all seven: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.</value>
    public IList<string> TargetModules { get; set; } = [.. AllLinearProjections];

    /// <summary>Gets the scale alpha / r applied to the adapter output.</summary>
    public double Scale => Alpha / Rank;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (Rank < 1)
        {
            throw new ArgumentException($"LoraOptions.Rank must be at least 1 (got {Rank}).", nameof(Rank));
        }
        if (!(Alpha > 0))
        {
            throw new ArgumentException($"LoraOptions.Alpha must be positive (got {Alpha}).", nameof(Alpha));
        }
        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException($"LoraOptions.Dropout must be in [0, 1) (got {Dropout}).", nameof(Dropout));
        }
        if (TargetModules is null || TargetModules.Count == 0)
        {
            throw new ArgumentException("LoraOptions.TargetModules must name at least one projection.", nameof(TargetModules));
        }
        foreach (var name in TargetModules)
        {
            if (!AllLinearProjections.Contains(name) && !FusedLinearProjections.Contains(name))
            {
                throw new ArgumentException(
                    $"LoraOptions.TargetModules: '{name}' is not a projection of this model; use {string.Join(", ", AllLinearProjections.Concat(FusedLinearProjections))}.",
                    nameof(TargetModules));
            }
        }
    }
}
