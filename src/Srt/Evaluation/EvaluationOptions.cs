namespace Srt.Evaluation;

/// <summary>Settings of <see cref="EvaluationRunner"/>.</summary>
public sealed class EvaluationOptions
{
    /// <summary>Gets or sets the run directory; answers, judgments and the comparison go to its <c>eval/</c> folder.</summary>
    /// <value>The default is <see langword="null"/>; it must be set.</value>
    public string? RunDirectory { get; set; }

    /// <summary>Gets the answer modes generated for each checkpoint.</summary>
    /// <value>The default is <see cref="AnswerMode.Direct"/> and <see cref="AnswerMode.SelfRefined"/>.</value>
    public IList<AnswerMode> Modes { get; } = [AnswerMode.Direct, AnswerMode.SelfRefined];

    /// <summary>Gets or sets the policy's temperature when answering.</summary>
    /// <value>The default is 0 (greedy), so answers do not depend on a seed.</value>
    public float Temperature { get; set; }

    /// <summary>Gets or sets the token limit of a direct answer.</summary>
    /// <value>The default is 2,048.</value>
    public int MaxNewTokens { get; set; } = 2048;

    /// <summary>Gets or sets the token limit of a self-refined answer (response, feedback and refinement).</summary>
    /// <value>The default is 6,144, as <see cref="SelfRefinementOptions.StageTwoMaxNewTokens"/>.</value>
    public int SelfRefinedMaxNewTokens { get; set; } = 6144;

    /// <summary>Gets or sets the seed for sampling when <see cref="Temperature"/> is above 0.</summary>
    /// <value>The default is 0.</value>
    public long Seed { get; set; }

    /// <summary>Gets or sets how many instructions go to the policy in one call.</summary>
    /// <value>The default is 8.</value>
    public int BatchSize { get; set; } = 8;

    /// <summary>Gets or sets the system message before every instruction; keep it equal to the loop's.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? SystemPrompt { get; set; }

    /// <summary>Gets or sets the headings used to parse self-refined answers; keep them equal to the loop's.</summary>
    /// <value>The default is the <see cref="SelfRefinementFormatOptions"/> defaults.</value>
    public SelfRefinementFormatOptions Format { get; set; } = new();

    /// <summary>
    /// Gets or sets the checkpoint whose answers are the reference for items without <see cref="EvaluationItem.Reference"/>,
    /// such as <c>"base"</c>; <see langword="null"/> judges only items that carry a reference.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? BaselineCheckpoint { get; set; }

    /// <summary>Gets or sets the mode of the baseline's answers.</summary>
    /// <value>The default is <see cref="AnswerMode.Direct"/>.</value>
    public AnswerMode BaselineMode { get; set; } = AnswerMode.Direct;

    /// <summary>Checks every setting and throws naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(RunDirectory))
        {
            throw Invalid(nameof(RunDirectory), "must name a folder.");
        }

        if (Modes.Count == 0 || Modes.Any(mode => !Enum.IsDefined(mode)))
        {
            throw Invalid(nameof(Modes), "must hold at least one defined mode.");
        }

        if (!float.IsFinite(Temperature) || Temperature < 0)
        {
            throw Invalid(nameof(Temperature), $"must be a finite number ≥ 0, not {Temperature}.");
        }

        if (MaxNewTokens < 1 || SelfRefinedMaxNewTokens < 1 || BatchSize < 1)
        {
            throw Invalid(MaxNewTokens < 1 ? nameof(MaxNewTokens) : SelfRefinedMaxNewTokens < 1 ? nameof(SelfRefinedMaxNewTokens) : nameof(BatchSize), "must be at least 1.");
        }

        if (BaselineCheckpoint is not null)
        {
            EvaluationRunner.CheckName(BaselineCheckpoint, nameof(BaselineCheckpoint));
        }

        (Format ?? throw Invalid(nameof(Format), "must be set.")).Validate();
    }

    private static ArgumentException Invalid(string name, string problem) => new($"{nameof(EvaluationOptions)}.{name} {problem}", name);
}
