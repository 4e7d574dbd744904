namespace Srt;

/// <summary>
/// Settings of <see cref="SelfRefinementLoop"/>. Every setting the paper fixes defaults to the paper's value
/// (Hu et al. 2024, arXiv 2406.07168); the critic's own settings (temperature 0, 2,048 new tokens) and the training
/// hyperparameters belong to the critic and the trainer.
/// </summary>
public sealed class SelfRefinementOptions
{
    /// <summary>Gets or sets the folder of the run: JSONL files per stage, keyed by item id, that a rerun resumes from.</summary>
    /// <value>The default is <see langword="null"/>; it must be set.</value>
    public string? RunDirectory { get; set; }

    /// <summary>Gets or sets the policy's sampling temperature for its responses (both stages).</summary>
    /// <value>The default is 0.7, the paper's setting.</value>
    public float Temperature { get; set; } = 0.7f;

    /// <summary>Gets or sets the nucleus-sampling probability mass for the policy; 1 disables it.</summary>
    /// <value>The default is 1 (the paper samples with temperature only).</value>
    public float TopP { get; set; } = 1f;

    /// <summary>Gets or sets the largest number of tokens the policy may write for a stage-1 response.</summary>
    /// <value>The default is 2,048.</value>
    public int MaxNewTokens { get; set; } = 2048;

    /// <summary>
    /// Gets or sets the largest number of tokens the stage-1-trained policy may write in stage 2, where one answer holds
    /// the response, the feedback and the refinement.
    /// </summary>
    /// <value>The default is 6,144 (three parts of up to 2,048 tokens each); the paper does not give one.</value>
    public int StageTwoMaxNewTokens { get; set; } = 6144;

    /// <summary>Gets or sets the random seed for the policy's sampling; <see langword="null"/> draws a fresh one.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? Seed { get; set; }

    /// <summary>Gets or sets how many instructions go to the policy in one generation call.</summary>
    /// <value>The default is 8.</value>
    public int GenerationBatchSize { get; set; } = 8;

    /// <summary>Gets or sets the largest number of critic (and refiner) calls in flight at once.</summary>
    /// <value>The default is 8.</value>
    public int MaxConcurrentCriticCalls { get; set; } = 8;

    /// <summary>
    /// Gets or sets a value indicating whether stage 1 scores each refinement in a separate critic call that does not
    /// see the feedback, and drops the item when the refinement scores below the response.
    /// </summary>
    /// <value>The default is <see langword="true"/>, as in the paper (keep when score(r) ≥ score(y)).</value>
    public bool FilterByRefinementScore { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether the stage-1 training sequence holds the written feedback
    /// (response → feedback → refinement). <see langword="false"/> trains on response → refinement only, the paper's
    /// "refinements only" ablation, which lost most of the gain.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool IncludeFeedbackInStageOne { get; set; } = true;

    /// <summary>Gets or sets what stage 2 does when the refinement's self-score equals the response's.</summary>
    /// <value>The default is <see cref="StageTwoTieRule.DropTies"/>: the paper keeps strictly higher refinements only.</value>
    public StageTwoTieRule TieRule { get; set; } = StageTwoTieRule.DropTies;

    /// <summary>
    /// Gets or sets a value indicating whether the chosen text of a stage-2 pair is the whole self-refinement
    /// (response, feedback, refinement and scores) instead of the refinement alone. The rejected text is always the
    /// response alone.
    /// </summary>
    /// <value>The default is <see langword="false"/>: chosen = refinement, as the paper describes its pairs.</value>
    public bool IncludeFeedbackInChosen { get; set; }

    /// <summary>
    /// Gets or sets the headings of the training sequence (response, <c>### Feedback</c>, <c>### Improved Response</c>,
    /// <c>### Refinement Score</c>). Stage 2 parses the policy's output with the same headings, so keep them between stages.
    /// </summary>
    /// <value>The default is the <see cref="SelfRefinementFormatOptions"/> defaults.</value>
    public SelfRefinementFormatOptions Format { get; set; } = new();

    /// <summary>Gets or sets a system message put before every instruction (masked out of the loss), or <see langword="null"/> for none.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? SystemPrompt { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a rerun retries items whose model call threw in an earlier run.
    /// Items filtered for their content (incomplete critique, unparseable output) are results, never retried.
    /// </summary>
    /// <value>The default is <see langword="true"/>: a failure that outlived the critic's own retries is usually transient.</value>
    public bool RetryFailedItems { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether stage 1 sends its critiques and its separate refinement scoring through
    /// the critic's batch capability (<see cref="IBatchCritic"/>, such as the OpenAI Batch API) instead of one call each.
    /// All responses are generated first; then every missing critique goes out in one round of batches, and every
    /// missing refinement score in a second round. The critic must offer <see cref="IBatchCritic"/> through
    /// <see cref="ICritic.GetService"/>; the run stops before any call when it does not.
    /// </summary>
    /// <value>The default is <see langword="false"/>: one synchronous call per critique.</value>
    public bool CritiqueInBatches { get; set; }

    /// <summary>Checks every setting and throws naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(RunDirectory))
        {
            throw Invalid(nameof(RunDirectory), "must name a folder (it is created when missing).");
        }

        if (!float.IsFinite(Temperature) || Temperature < 0)
        {
            throw Invalid(nameof(Temperature), $"must be a finite number ≥ 0, not {Temperature}.");
        }

        if (!float.IsFinite(TopP) || TopP <= 0 || TopP > 1)
        {
            throw Invalid(nameof(TopP), $"must be in (0, 1], not {TopP}.");
        }

        RequirePositive(nameof(MaxNewTokens), MaxNewTokens);
        RequirePositive(nameof(StageTwoMaxNewTokens), StageTwoMaxNewTokens);
        RequirePositive(nameof(GenerationBatchSize), GenerationBatchSize);
        RequirePositive(nameof(MaxConcurrentCriticCalls), MaxConcurrentCriticCalls);
        if (!Enum.IsDefined(TieRule))
        {
            throw Invalid(nameof(TieRule), $"must be {nameof(StageTwoTieRule.DropTies)} or {nameof(StageTwoTieRule.KeepTies)}, not {(int)TieRule}.");
        }

        if (SystemPrompt is not null && string.IsNullOrWhiteSpace(SystemPrompt))
        {
            throw Invalid(nameof(SystemPrompt), "must be null (no system message) or hold text.");
        }

        if (Format is null)
        {
            throw Invalid(nameof(Format), "must be set (it holds the headings of the training sequence).");
        }

        try
        {
            Format.Validate();
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"{nameof(SelfRefinementOptions)}.{nameof(Format)}.{exception.ParamName}: {exception.Message}", nameof(Format), exception);
        }
    }

    /// <summary>Creates the policy's sampling settings for the given stage.</summary>
    internal GenerationOptions CreateGenerationOptions(int stage) => new()
    {
        Temperature = Temperature,
        TopP = TopP,
        MaxNewTokens = stage == 1 ? MaxNewTokens : StageTwoMaxNewTokens,
        Seed = Seed,
    };

    private static void RequirePositive(string name, int value)
    {
        if (value <= 0)
        {
            throw Invalid(name, $"must be at least 1, not {value}.");
        }
    }

    private static ArgumentException Invalid(string name, string problem) =>
        new($"{nameof(SelfRefinementOptions)}.{name} {problem}", name);
}
