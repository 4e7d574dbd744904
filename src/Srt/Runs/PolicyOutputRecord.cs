namespace Srt;

/// <summary>A line of <c>stage2/outputs.jsonl</c>: the stage-1 model's one-pass response, feedback and refinement.</summary>
internal sealed record PolicyOutputRecord(
    string Id,
    string Instruction,
    string Text,
    CompletionFinishReason FinishReason,
    int? PromptTokens,
    int? CompletionTokens);
