namespace Srt;

/// <summary>A line of <c>stage1/responses.jsonl</c>: the policy's sampled response to one instruction.</summary>
/// <remarks><c>weights</c>: The identity of the weights that wrote it (<see cref="PolicyWeights"/>); absent in older files, which means the base weights.</remarks>
internal sealed record ResponseRecord(
    string Id,
    string Instruction,
    string Response,
    CompletionFinishReason FinishReason,
    int? PromptTokens,
    int? CompletionTokens,
    string? Weights = null);
