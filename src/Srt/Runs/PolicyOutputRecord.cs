namespace Srt;

/// <summary>A line of <c>stage2/outputs.jsonl</c>: the stage-1 model's one-pass response, feedback and refinement.</summary>
/// <remarks><c>weights</c>: The identity of the weights that wrote it (<see cref="PolicyWeights"/>); absent in older files, which means the base weights.</remarks>
internal sealed record PolicyOutputRecord(
    string Id,
    string Instruction,
    string Text,
    CompletionFinishReason FinishReason,
    int? PromptTokens,
    int? CompletionTokens,
    string? Weights = null);
