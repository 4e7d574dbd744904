using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>Token counts of one model call as stored in a run directory.</summary>
internal sealed record TokenCounts(long? Input, long? Output, long? Total)
{
    public static TokenCounts? From(UsageDetails? usage) =>
        usage is null ? null : new TokenCounts(usage.InputTokenCount, usage.OutputTokenCount, usage.TotalTokenCount);

    /// <summary>Gets the total, falling back to input plus output when the total was not reported.</summary>
    public long Sum => Total ?? ((Input ?? 0) + (Output ?? 0));
}
