namespace Srt;

/// <summary>An item that a stage could not finish because a model call for it threw.</summary>
/// <param name="Id">The item id.</param>
/// <param name="Phase">The phase whose call failed.</param>
/// <param name="Reason">The exception type and message (never the prompt or the response).</param>
public sealed record ItemFailure(string Id, StagePhase Phase, string Reason);
