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
    int? CompletionTokens = null)
{
    /// <summary>Gets why no completion was written, when <see cref="FinishReason"/> is <see cref="CompletionFinishReason.Failed"/>.</summary>
    /// <value>A message that names the cause and the limit involved, never the prompt's text; otherwise <see langword="null"/>.</value>
    public string? Error { get; init; }

    /// <summary>Creates the result for a prompt that got no completion, so that one bad prompt fails alone.</summary>
    /// <param name="error">Why, naming the cause and the limit involved (never the prompt's text).</param>
    /// <param name="promptTokens">The number of prompt tokens, when known.</param>
    /// <returns>An empty completion whose finish reason is <see cref="CompletionFinishReason.Failed"/>.</returns>
    public static PolicyCompletion Failed(string error, int? promptTokens = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new PolicyCompletion(string.Empty, CompletionFinishReason.Failed, promptTokens, 0) { Error = error };
    }
}
