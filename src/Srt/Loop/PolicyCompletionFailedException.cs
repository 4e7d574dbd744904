namespace Srt;

/// <summary>The policy wrote no completion for one prompt (<see cref="CompletionFinishReason.Failed"/>); the item is recorded as failed with this reason.</summary>
internal sealed class PolicyCompletionFailedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PolicyCompletionFailedException"/> class.</summary>
    public PolicyCompletionFailedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PolicyCompletionFailedException"/> class.</summary>
    /// <param name="message">The policy's reason.</param>
    public PolicyCompletionFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PolicyCompletionFailedException"/> class.</summary>
    /// <param name="message">The policy's reason.</param>
    /// <param name="innerException">The cause.</param>
    public PolicyCompletionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
