namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// A chat training example as ids: the prompt (no loss) followed by the completion (loss). The trainer encodes its
/// examples with <see cref="Training.TrainingSequenceEncoder"/>; this split serves the template tests and benchmarks.
/// </summary>
/// <param name="PromptIds">The prompt ids, BOS and generation prompt included.</param>
/// <param name="CompletionIds">The completion ids, end-of-turn included.</param>
internal sealed record ChatTrainingTokens(IReadOnlyList<int> PromptIds, IReadOnlyList<int> CompletionIds)
{
    /// <summary>Gets the prompt ids followed by the completion ids.</summary>
    public IReadOnlyList<int> AllIds => [.. PromptIds, .. CompletionIds];

    /// <summary>Gets the index in <see cref="AllIds"/> of the first completion id (where the loss starts).</summary>
    public int CompletionStart => PromptIds.Count;
}
