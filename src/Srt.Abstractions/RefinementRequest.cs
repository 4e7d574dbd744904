namespace Srt;

/// <summary>What a refiner is asked to improve.</summary>
/// <param name="Instruction">The instruction the response answers.</param>
/// <param name="Response">The response to improve.</param>
/// <param name="Feedback">The feedback to act on.</param>
public sealed record RefinementRequest(string Instruction, string Response, Feedback Feedback);
