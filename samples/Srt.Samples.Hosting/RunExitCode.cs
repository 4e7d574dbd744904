namespace Srt.Samples.Hosting;

/// <summary>
/// The exit code the loop's outcome calls for: 0 done, 1 failed, 130 interrupted (resumable). The service sets it and
/// Program returns it, so the code never leaks into a process that hosts the service for another purpose (a test).
/// </summary>
public sealed class RunExitCode
{
    /// <summary>Gets or sets the code Program returns when the host stops.</summary>
    public int Value { get; set; }
}
