namespace Srt;

/// <summary>What a batch of critiques came to: an answer or a failure for every request, and the counts behind the cost.</summary>
/// <param name="Critiques">The critiques, by request id.</param>
/// <param name="Failures">The reasons of the requests that got no answer after the retries the critic was set to make, by request id.</param>
/// <param name="Report">The requests and tokens by state.</param>
public sealed record BatchCritiqueResult(
    IReadOnlyDictionary<string, Critique> Critiques,
    IReadOnlyDictionary<string, string> Failures,
    BatchCritiqueReport Report);
