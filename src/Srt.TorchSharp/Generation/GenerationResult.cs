namespace Srt.TorchSharp.Generation;

/// <summary>One generated sequence of a <see cref="TextGenerator"/> run.</summary>
/// <param name="Text">The generated text without the prompt, the end-of-sequence token or any stop sequence.</param>
/// <param name="FinishReason">Why generation ended: an end-of-sequence id or stop sequence, or the token limit.</param>
/// <param name="PromptTokens">The number of prompt tokens (padding not counted).</param>
/// <param name="TokenIds">Every id the model generated for this sequence, a final end-of-sequence id included.</param>
public sealed record GenerationResult(
    string Text, CompletionFinishReason FinishReason, int PromptTokens, IReadOnlyList<int> TokenIds)
{
    /// <summary>Gets the number of generated tokens (the length of <see cref="TokenIds"/>).</summary>
    public int CompletionTokens => TokenIds.Count;
}
