namespace Srt.Evaluation;

/// <summary>Settings of <see cref="PairwiseJudge"/>.</summary>
public sealed class PairwiseJudgeOptions
{
    /// <summary>
    /// Gets or sets the folder of the judgment cache (<c>judgments.jsonl</c> and <c>judge-failures.jsonl</c>);
    /// <see langword="null"/> caches nothing. A rerun with the same folder makes only the judge calls not on disk.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? CacheDirectory { get; set; }

    /// <summary>Gets or sets the largest number of judge calls in flight at once.</summary>
    /// <value>The default is 8.</value>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Gets or sets the judge's sampling temperature.</summary>
    /// <value>The default is 0 (AlpacaEval judges greedily).</value>
    public float Temperature { get; set; }

    /// <summary>Gets or sets the largest number of tokens the judge may write; the verdict needs a handful.</summary>
    /// <value>The default is 64.</value>
    public int MaxOutputTokens { get; set; } = 64;

    /// <summary>Gets or sets the model id sent with each request; <see langword="null"/> leaves it to the client. Part of the cache key.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets the prompt.</summary>
    /// <value>The default is <see cref="PairwiseJudgePrompt.Default"/>.</value>
    public PairwiseJudgePrompt Prompt { get; set; } = PairwiseJudgePrompt.Default;

    /// <summary>
    /// Gets or sets the retry settings, the same rules as the critic's; <see langword="null"/> adds no retries. No second
    /// <see cref="RetryingChatClient"/> is added when the chat client already holds one.
    /// </summary>
    /// <value>The default is a new <see cref="RetryOptions"/> (5 attempts, 1 s base delay, 60 s cap, jitter).</value>
    public RetryOptions? Retry { get; set; } = new();

    /// <summary>Gets or sets a token counter for the average lengths in tokens (for example the policy's tokenizer); <see langword="null"/> reports characters only.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public Func<string, int>? CountTokens { get; set; }

    /// <summary>Gets or sets a value indicating whether a rerun retries judge calls that threw in an earlier run (unparseable verdicts are results, never retried).</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RetryFailedCalls { get; set; } = true;

    /// <summary>Checks the settings and throws naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (MaxConcurrency < 1)
        {
            throw new ArgumentException($"{nameof(PairwiseJudgeOptions)}.{nameof(MaxConcurrency)} must be at least 1, not {MaxConcurrency}.", nameof(MaxConcurrency));
        }

        if (!float.IsFinite(Temperature) || Temperature < 0)
        {
            throw new ArgumentException($"{nameof(PairwiseJudgeOptions)}.{nameof(Temperature)} must be a finite number ≥ 0, not {Temperature}.", nameof(Temperature));
        }

        if (MaxOutputTokens < 1)
        {
            throw new ArgumentException($"{nameof(PairwiseJudgeOptions)}.{nameof(MaxOutputTokens)} must be at least 1, not {MaxOutputTokens}.", nameof(MaxOutputTokens));
        }

        if (Prompt is null)
        {
            throw new ArgumentException($"{nameof(PairwiseJudgeOptions)}.{nameof(Prompt)} must be set.", nameof(Prompt));
        }

        if (CacheDirectory is not null && string.IsNullOrWhiteSpace(CacheDirectory))
        {
            throw new ArgumentException($"{nameof(PairwiseJudgeOptions)}.{nameof(CacheDirectory)} must be null (no cache) or name a folder.", nameof(CacheDirectory));
        }

        Retry?.Validate();
    }
}
