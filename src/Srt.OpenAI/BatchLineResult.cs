namespace Srt.OpenAI;

/// <summary>A line's answer from a batch's output file, or the reason it has none.</summary>
internal sealed record BatchLineResult(Critique? Critique, string? Reason, bool IsError)
{
    public static BatchLineResult Answered(Critique critique) => new(critique, null, false);

    /// <summary>A line the output or error file reports as failed.</summary>
    public static BatchLineResult Failed(string reason) => new(null, reason, true);

    /// <summary>A line the batch never got to (expired, cancelled or failed as a whole).</summary>
    public static BatchLineResult Unfinished(string reason) => new(null, reason, false);
}
