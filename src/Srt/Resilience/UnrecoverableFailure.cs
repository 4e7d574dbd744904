using System.ClientModel;
using System.Net;

namespace Srt;

/// <summary>
/// Recognizes failures that no retry and no other item can fix: the credentials, the permissions, the model name or
/// the request's shape are wrong, so every later call would fail the same way. A prompt that is too long for the
/// model's context, or whose content the server refuses, is not one of them: it is that item's own failure.
/// </summary>
/// <remarks>The one owner of that decision: the loop, the judge and the policy clients all ask here.</remarks>
internal static class UnrecoverableFailure
{
    /// <summary>Classifies a failure.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="cause">What is wrong and which setting to fix, when unrecoverable.</param>
    /// <returns><see langword="true"/> when the run should stop.</returns>
    public static bool IsUnrecoverable(Exception exception, out string? cause)
    {
        bool stop = TryClassify(exception, out _, out string? what, out string? setting);
        cause = stop ? $"{what}: check {setting}" : null;
        return stop;
    }

    /// <summary>Classifies a failure and names its parts.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="status">The HTTP status, when known.</param>
    /// <param name="cause">What is wrong, such as "the server rejected the credentials (HTTP 401)".</param>
    /// <param name="setting">The setting to fix, such as "the API key".</param>
    /// <returns><see langword="true"/> when the run should stop.</returns>
    public static bool TryClassify(Exception exception, out int? status, out string? cause, out string? setting)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is UnrecoverableCallException stopped)
        {
            (status, cause, setting) = (stopped.StatusCode, stopped.Cause, stopped.Setting);
            return true;
        }

        status = exception switch
        {
            ClientResultException clientResult when clientResult.Status != 0 => clientResult.Status,
            HttpRequestException { StatusCode: HttpStatusCode code } => (int)code,
            _ => null,
        };
        if (status is null)
        {
            cause = setting = null;
            return exception.InnerException is { } inner && TryClassify(inner, out status, out cause, out setting);
        }

        (cause, setting) = status switch
        {
            401 => ("the server rejected the credentials (HTTP 401)", "the API key setting"),
            403 => ("the credentials lack permission for this model or endpoint (HTTP 403)", "the API key, organization and project settings"),
            404 => ("the model or endpoint was not found (HTTP 404)", "the model name and the endpoint settings"),
            400 or 422 when !IsItemError(exception) => ($"the server refused the request as invalid (HTTP {status})", "the model name and the request options (temperature, token limit)"),
            _ => ((string?)null, (string?)null),
        };
        return cause is not null;
    }

    /// <summary>Creates the exception that stops a run, or returns <see langword="null"/> when the failure is not unrecoverable.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="phase">What the run was doing, such as "critique" or "judging".</param>
    /// <returns>The exception to throw, with <paramref name="exception"/> as its inner exception; the same instance when it already is one.</returns>
    public static UnrecoverableCallException? ToStop(Exception exception, string phase)
    {
        if (exception is UnrecoverableCallException stopped)
        {
            return stopped;
        }

        return TryClassify(exception, out int? status, out string? cause, out string? setting)
            ? new UnrecoverableCallException(phase, cause!, setting!, status, exception)
            : null;
    }

    /// <summary>Tells whether a failure says the prompt does not fit the model's context (an item's own failure).</summary>
    /// <param name="exception">The failure.</param>
    /// <returns><see langword="true"/> for OpenAI's <c>context_length_exceeded</c> and the equivalent messages of vLLM and others.</returns>
    public static bool IsContextLengthError(Exception exception) =>
        MessageContains(exception, "context_length_exceeded", "maximum context length", "context length", "too many tokens");

    /// <summary>A 400 about this item's own prompt: too long for the context, or content the server refuses.</summary>
    private static bool IsItemError(Exception exception) =>
        IsContextLengthError(exception)
        || MessageContains(exception, "content_filter", "content_policy", "content management policy", "invalid_prompt");

    private static bool MessageContains(Exception exception, params string[] markers)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            string text = current.Message;
            if (markers.Any(marker => text.Contains(marker, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
