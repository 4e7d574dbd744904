namespace Srt;

/// <summary>
/// Stops a run at the first model call that no retry can fix: wrong credentials (HTTP 401), missing permission (403),
/// an unknown model or endpoint (404), or a request the server refuses as invalid (400, 422; not a prompt too long for
/// the context, which fails only its item). The item is not recorded as failed: after fixing <see cref="Setting"/>,
/// a rerun does its work. Results that arrived before the stop are on disk.
/// </summary>
public sealed class UnrecoverableCallException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="UnrecoverableCallException"/> class.</summary>
    public UnrecoverableCallException()
        : this("a model call", "a model call failed in a way no retry can fix", "the model client's settings", null, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnrecoverableCallException"/> class.</summary>
    /// <param name="message">The message.</param>
    public UnrecoverableCallException(string message)
        : base(message)
    {
        Phase = Cause = Setting = string.Empty;
    }

    /// <summary>Initializes a new instance of the <see cref="UnrecoverableCallException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The failed call's exception.</param>
    public UnrecoverableCallException(string message, Exception innerException)
        : base(message, innerException)
    {
        Phase = Cause = Setting = string.Empty;
    }

    /// <summary>Initializes a new instance of the <see cref="UnrecoverableCallException"/> class.</summary>
    /// <param name="phase">What the run was doing: "critique", "refinement", "refinement scoring", "policy generation", "judging".</param>
    /// <param name="cause">What is wrong, such as "the server rejected the credentials (HTTP 401)".</param>
    /// <param name="setting">The setting to fix, such as "the API key setting".</param>
    /// <param name="statusCode">The HTTP status, when known.</param>
    /// <param name="innerException">The failed call's exception.</param>
    public UnrecoverableCallException(string phase, string cause, string setting, int? statusCode, Exception? innerException)
        : base($"The run stopped at the first {phase} call: {cause}. Check {setting}, then run again; finished work stays in the run directory.", innerException)
    {
        Phase = phase;
        Cause = cause;
        Setting = setting;
        StatusCode = statusCode;
    }

    /// <summary>Gets what the run was doing when the call failed, such as "critique" or "judging".</summary>
    public string Phase { get; }

    /// <summary>Gets what is wrong, such as "the server rejected the credentials (HTTP 401)".</summary>
    public string Cause { get; }

    /// <summary>Gets the setting to fix, such as "the API key setting".</summary>
    public string Setting { get; }

    /// <summary>Gets the HTTP status of the failed call, when known.</summary>
    public int? StatusCode { get; }
}
