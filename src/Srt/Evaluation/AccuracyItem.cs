namespace Srt.Evaluation;

/// <summary>One answer to check against the exact expected answer.</summary>
/// <param name="Id">The item id.</param>
/// <param name="Expected">The correct answer.</param>
/// <param name="Actual">The model's answer.</param>
public sealed record AccuracyItem(string Id, string Expected, string Actual);
