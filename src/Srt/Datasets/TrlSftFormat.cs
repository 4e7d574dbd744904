namespace Srt.Datasets;

/// <summary>The supervised dataset layouts Hugging Face TRL's <c>SFTTrainer</c> reads.</summary>
public enum TrlSftFormat
{
    /// <summary>
    /// Conversational prompt-completion: <c>{"prompt":[{"role":"user","content":…}],"completion":[{"role":"assistant","content":…}]}</c>.
    /// TRL applies the model's chat template and, with <c>completion_only_loss</c> (its default for prompt-completion
    /// data), trains on the completion only, as Srt does. The right choice for chat models.
    /// </summary>
    ConversationalPromptCompletion,

    /// <summary>Standard prompt-completion: <c>{"prompt":"…","completion":"…"}</c>, plain text with no chat template.</summary>
    PromptCompletion,

    /// <summary>
    /// Conversational language modelling: <c>{"messages":[system?, user, assistant]}</c>. TRL trains on every token unless
    /// <c>assistant_only_loss=True</c> (which needs a chat template with generation markers).
    /// </summary>
    Messages,
}
