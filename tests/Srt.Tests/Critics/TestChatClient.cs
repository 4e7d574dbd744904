using Microsoft.Extensions.AI;

namespace Srt.Tests.Critics;

/// <summary>A chat client whose behaviour each test sets through callbacks.</summary>
internal sealed class TestChatClient : IChatClient
{
    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>? GetResponseAsyncCallback { get; set; }

    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>>? GetStreamingResponseAsyncCallback { get; set; }

    public int Calls { get; private set; }

    public List<(List<ChatMessage> Messages, ChatOptions? Options)> Requests { get; } = [];

    public static ChatResponse Answer(string text, ChatFinishReason? finishReason = null, UsageDetails? usage = null) =>
        new(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = finishReason ?? ChatFinishReason.Stop, Usage = usage };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        Requests.Add((messages.ToList(), options));
        return GetResponseAsyncCallback?.Invoke(messages, options, cancellationToken)
            ?? throw new InvalidOperationException("No response callback set.");
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        Requests.Add((messages.ToList(), options));
        return GetStreamingResponseAsyncCallback?.Invoke(messages, options, cancellationToken)
            ?? throw new InvalidOperationException("No streaming callback set.");
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
