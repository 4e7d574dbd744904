using Microsoft.Extensions.AI;

namespace Srt.Tests.Evaluation;

/// <summary>A thread-safe judge double: answers each call from (output A, output B); counts calls and the most in flight at once.</summary>
internal sealed class ScriptedJudgeClient : IChatClient
{
    private int _calls;
    private int _inFlight;
    private int _maxInFlight;

    public Func<string, string, string> Verdict { get; set; } = (_, _) => "[[A]]";

    public TimeSpan Delay { get; set; }

    public Func<string, string, Exception?> Throw { get; set; } = (_, _) => null;

    public int Calls => Volatile.Read(ref _calls);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public static (string A, string B) Outputs(string userText)
    {
        int a = userText.IndexOf("## Output A\n\n", StringComparison.Ordinal) + 13;
        int b = userText.IndexOf("## Output B\n\n", StringComparison.Ordinal);
        int task = userText.IndexOf("## Task\n\n", StringComparison.Ordinal);
        return (userText[a..b].Trim(), userText[(b + 13)..task].Trim());
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        int now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }

        try
        {
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            (string a, string b) = Outputs(messages.Last().Text);
            if (Throw(a, b) is Exception exception)
            {
                throw exception;
            }

            return new ChatResponse(new ChatMessage(ChatRole.Assistant, Verdict(a, b)))
            {
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 3, TotalTokenCount = 103 },
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
