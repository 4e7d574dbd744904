namespace Srt;

/// <summary>Why a policy completion ended.</summary>
public enum CompletionFinishReason
{
    /// <summary>The model wrote its end-of-sequence token or a stop sequence.</summary>
    Stop,

    /// <summary>The completion reached the largest number of new tokens allowed.</summary>
    Length,
}
