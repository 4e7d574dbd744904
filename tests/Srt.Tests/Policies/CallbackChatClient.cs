using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Srt.Tests.Policies;

/// <summary>A thread-safe chat client whose answers a test sets through a callback; it records every request.</summary>
internal sealed class CallbackChatClient(Func<string, ChatOptions?, CancellationToken, Task<ChatResponse>> answer) : IChatClient
{
    public ConcurrentQueue<(string Prompt, ChatOptions? Options)> Requests { get; } = new();

    public static ChatResponse Answer(string text, ChatFinishReason? finishReason, long? inputTokens = null, long? outputTokens = null) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            FinishReason = finishReason,
            Usage = inputTokens is null ? null : new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens },
        };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        string prompt = string.Concat(messages.Select(message => message.Text));
        Requests.Enqueue((prompt, options));
        return answer(prompt, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The policy sends non-streaming requests.");

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
