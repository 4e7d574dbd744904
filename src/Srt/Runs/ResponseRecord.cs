namespace Srt;

/// <summary>A line of <c>stage1/responses.jsonl</c>: the policy's sampled response to one instruction.</summary>
internal sealed record ResponseRecord(
    string Id,
    string Instruction,
    string Response,
    CompletionFinishReason FinishReason,
    int? PromptTokens,
    int? CompletionTokens);
