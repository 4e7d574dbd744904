namespace Srt;

/// <summary>Why a policy completion ended.</summary>
public enum CompletionFinishReason
{
    /// <summary>The model wrote its end-of-sequence token or a stop sequence.</summary>
    Stop,

    /// <summary>The completion reached the largest number of new tokens allowed.</summary>
    Length,

    /// <summary>
    /// No completion was written for this prompt (for example, the prompt does not fit the model's context);
    /// <see cref="PolicyCompletion.Error"/> says why. The other prompts of the same call are unaffected.
    /// </summary>
    Failed,
}
