using System.ClientModel;
using System.Net;

namespace Srt;

/// <summary>
/// Recognizes failures that no retry and no other item can fix: the credentials, the permissions, the model name or
/// the request's shape are wrong, so every later call would fail the same way. A prompt that is too long for the
/// model's context is not one of them: it is that item's own failure.
/// </summary>
internal static class UnrecoverableFailure
{
    /// <summary>Classifies a failure.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="cause">What is wrong and which setting to fix, when unrecoverable.</param>
    /// <returns><see langword="true"/> when the run should stop.</returns>
    public static bool IsUnrecoverable(Exception exception, out string? cause)
    {
        cause = null;
        int? status = exception switch
        {
            ClientResultException clientResult when clientResult.Status != 0 => clientResult.Status,
            HttpRequestException { StatusCode: HttpStatusCode code } => (int)code,
            _ => null,
        };
        if (status is null)
        {
            return exception.InnerException is { } inner && IsUnrecoverable(inner, out cause);
        }

        cause = status switch
        {
            401 => "the server rejected the credentials (HTTP 401): check the API key setting",
            403 => "the credentials lack permission for this model or endpoint (HTTP 403): check the API key, organization and project settings",
            404 => "the model or endpoint was not found (HTTP 404): check the model name and the endpoint setting",
            400 or 422 when !IsContextLengthError(exception) => "the server refused the request as invalid (HTTP " + status + "): check the model name and the request options",
            _ => null,
        };
        return cause is not null;
    }

    /// <summary>Tells whether a failure says the prompt does not fit the model's context (an item's own failure).</summary>
    /// <param name="exception">The failure.</param>
    /// <returns><see langword="true"/> for OpenAI's <c>context_length_exceeded</c> and the equivalent messages of vLLM and others.</returns>
    public static bool IsContextLengthError(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            string text = current.Message;
            if (text.Contains("context_length_exceeded", StringComparison.OrdinalIgnoreCase)
                || text.Contains("maximum context length", StringComparison.OrdinalIgnoreCase)
                || text.Contains("context length", StringComparison.OrdinalIgnoreCase)
                || text.Contains("too many tokens", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
