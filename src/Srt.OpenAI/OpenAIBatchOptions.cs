namespace Srt.OpenAI;

/// <summary>
/// Settings of <see cref="OpenAIBatchCritic"/>: the OpenAI Batch API's limits, the enqueued-token budget, polling and
/// what happens to requests a batch did not answer.
/// </summary>
public sealed class OpenAIBatchOptions
{
    /// <summary>The Batch API's largest number of requests in one input file.</summary>
    public const int ApiMaxRequestsPerFile = 50_000;

    /// <summary>The Batch API's largest input file, in bytes (200 MB).</summary>
    public const long ApiMaxBytesPerFile = 200L * 1000 * 1000;

    /// <summary>Gets or sets the largest number of requests in one request file (one batch).</summary>
    /// <value>The default is 50,000, the API's limit.</value>
    public int MaxRequestsPerFile { get; set; } = ApiMaxRequestsPerFile;

    /// <summary>Gets or sets the largest size of one request file, in bytes (UTF-8, line ends included).</summary>
    /// <value>The default is 200,000,000 (200 MB), the API's limit.</value>
    public long MaxBytesPerFile { get; set; } = ApiMaxBytesPerFile;

    /// <summary>
    /// Gets or sets the most tokens to have enqueued at once, by the conservative estimate (the UTF-8 bytes of the
    /// prompt plus <see cref="EstimatedTokensPerRequest"/>: a byte-level BPE token never covers less than one byte).
    /// No file exceeds it, and a batch is created only while the batches in progress plus the new one stay within it.
    /// Set it below the enqueued-token limit of the model in the organization's rate limits.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no budget.</value>
    public long? EnqueuedTokenBudget { get; set; }

    /// <summary>Gets or sets the tokens added to each request's estimate for the message framing the API counts.</summary>
    /// <value>The default is 16.</value>
    public int EstimatedTokensPerRequest { get; set; } = 16;

    /// <summary>Gets or sets the completion window asked for.</summary>
    /// <value>The default is <c>24h</c>, the only window the API offers.</value>
    public string CompletionWindow { get; set; } = "24h";

    /// <summary>Gets or sets the first wait between two looks at the batches in progress; it doubles up to <see cref="MaxPollInterval"/> while nothing finishes.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the longest wait between two looks at the batches in progress.</summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets what happens to requests a batch did not answer.</summary>
    /// <value>The default is <see cref="BatchRetryMode.FollowUpBatch"/>.</value>
    public BatchRetryMode RetryMode { get; set; } = BatchRetryMode.FollowUpBatch;

    /// <summary>Gets or sets how many follow-up batches a request may go in after its first batch, under <see cref="BatchRetryMode.FollowUpBatch"/>.</summary>
    /// <value>The default is 2.</value>
    public int MaxFollowUpBatches { get; set; } = 2;

    /// <summary>Gets or sets how many synchronous retries run at once, under <see cref="BatchRetryMode.Synchronous"/>.</summary>
    /// <value>The default is 8.</value>
    public int MaxConcurrentSynchronousRetries { get; set; } = 8;

    /// <summary>Gets or sets how many times an upload, a batch creation, a status look or a download is tried on a rate limit (429), a server error (5xx) or a dropped connection.</summary>
    /// <value>The default is 6.</value>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Gets or sets the first wait before such a retry; it doubles on each further one, up to a minute, and a <c>Retry-After</c> header wins.</summary>
    /// <value>The default is 2 seconds.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentException"><see cref="CompletionWindow"/> is empty.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRequestsPerFile, nameof(MaxRequestsPerFile));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRequestsPerFile, ApiMaxRequestsPerFile, nameof(MaxRequestsPerFile));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBytesPerFile, nameof(MaxBytesPerFile));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBytesPerFile, ApiMaxBytesPerFile, nameof(MaxBytesPerFile));
        if (EnqueuedTokenBudget is long budget)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budget, nameof(EnqueuedTokenBudget));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(EstimatedTokensPerRequest, nameof(EstimatedTokensPerRequest));
        ArgumentException.ThrowIfNullOrWhiteSpace(CompletionWindow, nameof(CompletionWindow));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPollInterval, PollInterval, nameof(MaxPollInterval));
        if (!Enum.IsDefined(RetryMode))
        {
            throw new ArgumentOutOfRangeException(nameof(RetryMode), RetryMode, $"{nameof(RetryMode)} must be one of {string.Join(", ", Enum.GetNames<BatchRetryMode>())}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxFollowUpBatches, nameof(MaxFollowUpBatches));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentSynchronousRetries, nameof(MaxConcurrentSynchronousRetries));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxAttempts, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryDelay, TimeSpan.Zero, nameof(RetryDelay));
    }
}
