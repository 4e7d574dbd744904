using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt;

/// <summary>
/// A chat client that retries transient failures with exponential backoff and full jitter, honours
/// <c>Retry-After</c>, and counts every attempt, since each one can be a paid request.
/// </summary>
/// <remarks>
/// See <see cref="RetryOptions"/> for what is retried. A streaming call is retried from scratch only while it has
/// not yielded any update; once text reached the caller a failure is rethrown. Retries are logged at
/// <see cref="LogLevel.Warning"/> with the failure's type and status, never with message contents.
/// </remarks>
public sealed partial class RetryingChatClient : DelegatingChatClient
{
    private readonly RetryOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private long _attempts;
    private long _retries;

    /// <summary>Initializes a new instance of the <see cref="RetryingChatClient"/> class.</summary>
    /// <param name="innerClient">The client to call.</param>
    /// <param name="options">The retry settings; <see langword="null"/> uses the defaults.</param>
    /// <param name="logger">Receives a warning per retry; <see langword="null"/> logs nothing.</param>
    /// <param name="timeProvider">The clock for delays; <see langword="null"/> uses <see cref="TimeProvider.System"/>.</param>
    public RetryingChatClient(IChatClient innerClient, RetryOptions? options = null, ILogger? logger = null, TimeProvider? timeProvider = null)
        : base(innerClient)
    {
        _options = options?.Clone() ?? new RetryOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the number of calls made to the inner client, retries included.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Gets the number of those calls that were retries.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var messageList = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        for (int attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _attempts);
            try
            {
                var response = await base.GetResponseAsync(messageList, options, cancellationToken).ConfigureAwait(false);
                if (response.FinishReason is null && _options.RetryOnMissingFinishReason)
                {
                    throw new IncompleteChatResponseException();
                }

                return response;
            }
            catch (Exception ex) when (ShouldRetry(ex, attempt, cancellationToken, out var delay))
            {
                await WaitAsync(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var messageList = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        for (int attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _attempts);
            var updates = base.GetStreamingResponseAsync(messageList, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            ChatResponseUpdate? first;
            TimeSpan delay;
            try
            {
                try
                {
                    first = await updates.MoveNextAsync().ConfigureAwait(false) ? updates.Current : null;
                }
                catch (Exception ex) when (ShouldRetry(ex, attempt, cancellationToken, out delay))
                {
                    first = null;
                    goto Retry;
                }

                if (first is not null)
                {
                    yield return first;
                    while (await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield return updates.Current;
                    }
                }

                yield break;
            }
            finally
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }

        Retry:
            await WaitAsync(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool ShouldRetry(Exception exception, int attempt, CancellationToken cancellationToken, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        if (!TransientFailure.IsTransient(exception, cancellationToken, _timeProvider.GetUtcNow(), out var status, out var retryAfter)
            || attempt >= _options.MaxAttempts)
        {
            return false;
        }

        if (retryAfter is TimeSpan requested)
        {
            if (requested > _options.MaxRetryAfter)
            {
                LogRetryAfterTooLong(exception.GetType().Name, status, (long)requested.TotalMilliseconds);
                return false;
            }

            delay = requested;
        }
        else
        {
            delay = Backoff(attempt);
        }

        Interlocked.Increment(ref _retries);
        LogRetrying(exception.GetType().Name, status, attempt + 1, _options.MaxAttempts, (long)delay.TotalMilliseconds);
        return true;
    }

    private TimeSpan Backoff(int failedAttempt)
    {
        double cap = Math.Min(
            _options.MaxDelay.TotalMilliseconds,
            _options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempt - 1, 30)));
        double ms = _options.UseJitter ? Random.Shared.NextDouble() * cap : cap;
        // At least 1 ms: Task.Delay rounds down to whole milliseconds, and a retry should never go out at once.
        return TimeSpan.FromMilliseconds(Math.Max(1, ms));
    }

    private Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, _timeProvider, cancellationToken);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Chat call failed with {ExceptionType} (HTTP status {Status}); starting attempt {Attempt} of {MaxAttempts} in {DelayMs} ms.")]
    private partial void LogRetrying(string exceptionType, int? status, int attempt, int maxAttempts, long delayMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Chat call failed with {ExceptionType} (HTTP status {Status}); the server asks to wait {DelayMs} ms, longer than MaxRetryAfter, so it is not retried.")]
    private partial void LogRetryAfterTooLong(string exceptionType, int? status, long delayMs);
}
