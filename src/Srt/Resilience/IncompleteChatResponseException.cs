namespace Srt;

/// <summary>Thrown when a chat response arrived without a finish reason, which usually means a stream was cut short.</summary>
public sealed class IncompleteChatResponseException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="IncompleteChatResponseException"/> class.</summary>
    public IncompleteChatResponseException()
        : base("The chat response arrived without a finish reason; its text may be truncated.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="IncompleteChatResponseException"/> class.</summary>
    /// <param name="message">The message.</param>
    public IncompleteChatResponseException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="IncompleteChatResponseException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public IncompleteChatResponseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
