namespace Srt.Evaluation;

/// <summary>Whether one answer was correct, with the normalized texts that were compared.</summary>
/// <param name="Id">The item id.</param>
/// <param name="Expected">The correct answer as given.</param>
/// <param name="Actual">The model's answer as given.</param>
/// <param name="NormalizedExpected">The correct answer after normalization.</param>
/// <param name="NormalizedActual">The model's answer after normalization.</param>
/// <param name="IsCorrect">The checker's decision.</param>
public sealed record AccuracyItemResult(string Id, string Expected, string Actual, string NormalizedExpected, string NormalizedActual, bool IsCorrect);
