namespace Srt;

/// <summary>How <see cref="RetryingChatClient"/> retries failed chat calls.</summary>
/// <remarks>
/// Retried: HTTP 408, 409, 429 and 5xx (except 501 and 505), connection failures and dropped streams
/// (<see cref="IOException"/>, <see cref="HttpRequestException"/> without a status), timeouts, bodies that do not
/// parse (a <see cref="System.Text.Json.JsonException"/> anywhere in the chain: a body cut short), and responses that
/// arrive without a finish reason (a stream cut short). A server's <c>x-should-retry: true|false</c> header overrides
/// the status, as OpenAI's own clients do. Never retried: the caller's cancellation and other 4xx errors (see
/// <see cref="UnrecoverableCallException"/> for those that stop a run). The delay before retry k (k = 1, 2, …) is the server's <c>Retry-After</c> when it sends one, otherwise
/// a full-jitter exponential backoff: a uniform draw from [0, min(<see cref="MaxDelay"/>,
/// <see cref="BaseDelay"/> × 2^(k−1))].
/// </remarks>
public sealed class RetryOptions
{
    /// <summary>Gets or sets the largest number of attempts per call, the first one included; 1 disables retries.</summary>
    /// <value>The default is 5.</value>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Gets or sets the backoff before the first retry, before jitter.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the cap of the exponential backoff.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets a value indicating whether backoff delays are drawn uniformly below the cap (full jitter).</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UseJitter { get; set; } = true;

    /// <summary>
    /// Gets or sets the longest server-requested <c>Retry-After</c> delay to honour; a longer request (such as a
    /// daily quota) fails the call at once instead of waiting.
    /// </summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets a value indicating whether a response without a finish reason counts as a transient failure.</summary>
    /// <value>The default is <see langword="true"/>: such a response is usually a stream cut short with truncated text.</value>
    public bool RetryOnMissingFinishReason { get; set; } = true;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(BaseDelay, TimeSpan.Zero, nameof(BaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, BaseDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryAfter, TimeSpan.Zero, nameof(MaxRetryAfter));
    }

    /// <summary>Creates a copy of these options.</summary>
    /// <returns>The copy.</returns>
    public RetryOptions Clone() => (RetryOptions)MemberwiseClone();
}
