namespace Srt;

/// <summary>One completion written by an <see cref="IPolicyModel"/>.</summary>
/// <param name="Text">The generated text, without the prompt and without any stop sequence.</param>
/// <param name="FinishReason">Why generation ended.</param>
/// <param name="PromptTokens">The number of prompt tokens, when known.</param>
/// <param name="CompletionTokens">The number of generated tokens, when known.</param>
public sealed record PolicyCompletion(
    string Text,
    CompletionFinishReason FinishReason = CompletionFinishReason.Stop,
    int? PromptTokens = null,
    int? CompletionTokens = null);
