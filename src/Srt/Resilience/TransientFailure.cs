using System.ClientModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Srt;

/// <summary>Decides whether a failed chat call may succeed when tried again, and how long the server asks to wait.</summary>
internal static class TransientFailure
{
    /// <summary>Classifies a failure.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it caused is never transient.</param>
    /// <param name="now">The current time, for <c>Retry-After</c> given as an HTTP date.</param>
    /// <param name="status">The HTTP status, when known.</param>
    /// <param name="retryAfter">The server's requested delay, when sent.</param>
    /// <returns><see langword="true"/> when the call should be tried again.</returns>
    [SuppressMessage("Design", "CA1068", Justification = "The token is an input to the classification, not a way to cancel it.")]
    public static bool IsTransient(
        Exception exception, CancellationToken cancellationToken, DateTimeOffset now, out int? status, out TimeSpan? retryAfter)
    {
        status = null;
        retryAfter = null;
        switch (exception)
        {
            case OperationCanceledException:
                // HttpClient reports its own timeout as a TaskCanceledException; only the caller's cancellation is final.
                return !cancellationToken.IsCancellationRequested;
            case TimeoutException:
            case IncompleteChatResponseException:
                return true;
            case JsonException:
                // A 200 whose body is cut short or garbled: the OpenAI SDK fails to parse it. Asking again usually works.
                return true;
            case ClientResultException clientResult:
                status = clientResult.Status == 0 ? null : clientResult.Status;
                retryAfter = ReadRetryAfter(clientResult, now);
                // The server's own word wins, as in OpenAI's clients: x-should-retry: true or false.
                return ReadShouldRetry(clientResult) ?? (status is not int code || IsTransientStatus(code));
            case HttpRequestException http:
                status = http.StatusCode is HttpStatusCode code2 ? (int)code2 : null;
                return status is not int code3 || IsTransientStatus(code3);
            case IOException:
                return true;
            default:
                return exception.InnerException is { } inner && IsTransient(inner, cancellationToken, now, out status, out retryAfter);
        }
    }

    /// <summary>Tells whether an HTTP status is worth retrying: 408, 409, 429 and 5xx other than 501 and 505.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <returns><see langword="true"/> when transient.</returns>
    public static bool IsTransientStatus(int status) =>
        status is 408 or 409 or 429 || (status is >= 500 and <= 599 && status is not 501 and not 505);

    /// <summary>Parses <c>retry-after-ms</c> (milliseconds) or <c>retry-after</c> (seconds or an HTTP date).</summary>
    /// <param name="retryAfterMs">The <c>retry-after-ms</c> header value, or <see langword="null"/>.</param>
    /// <param name="retryAfter">The <c>retry-after</c> header value, or <see langword="null"/>.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The delay, or <see langword="null"/> when neither header holds a valid value.</returns>
    public static TimeSpan? ParseRetryAfter(string? retryAfterMs, string? retryAfter, DateTimeOffset now)
    {
        if (double.TryParse(retryAfterMs, NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) && ms >= 0 && double.IsFinite(ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (string.IsNullOrWhiteSpace(retryAfter))
        {
            return null;
        }

        if (double.TryParse(retryAfter, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0 && double.IsFinite(seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParseExact(retryAfter.Trim(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var delay = date - now;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }

        return null;
    }

    private static bool? ReadShouldRetry(ClientResultException exception)
    {
        string? value = null;
        exception.GetRawResponse()?.Headers.TryGetValue("x-should-retry", out value);
        return value?.Trim().ToUpperInvariant() switch
        {
            "TRUE" => true,
            "FALSE" => false,
            _ => null,
        };
    }

    private static TimeSpan? ReadRetryAfter(ClientResultException exception, DateTimeOffset now)
    {
        var headers = exception.GetRawResponse()?.Headers;
        if (headers is null)
        {
            return null;
        }

        headers.TryGetValue("retry-after-ms", out var retryAfterMs);
        headers.TryGetValue("retry-after", out var retryAfter);
        return ParseRetryAfter(retryAfterMs, retryAfter, now);
    }
}
