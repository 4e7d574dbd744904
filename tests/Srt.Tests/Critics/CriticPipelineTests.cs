using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Srt.Tests.Critics;

public class CriticPipelineTests
{
    private const string Answer = "Weaknesses:\n- SECRET-ANSWER\nSuggestions:\n- b\nOverall Score: [[3]]\n### Improved Response\nbetter";

    [Fact]
    public async Task UseLogging_Debug_LogsSummaryWithoutContents()
    {
        using var provider = new CapturingLoggerProvider(LogLevel.Debug);
        using var factory = provider.CreateFactory();
        var critic = CreateCritic().AsBuilder().UseLogging(factory).Build();

        await critic.CritiqueAsync(new CritiqueRequest("SECRET-INSTRUCTION", "SECRET-RESPONSE"));

        var entry = Assert.Single(provider.Entries, e => e.Category == typeof(LoggingCritic).FullName);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.Contains("score 3", entry.Message, StringComparison.Ordinal);
        Assert.Contains("complete True", entry.Message, StringComparison.Ordinal);
        Assert.All(provider.Entries, e => Assert.DoesNotContain("SECRET", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UseLogging_Trace_LogsContents()
    {
        using var provider = new CapturingLoggerProvider(LogLevel.Trace);
        using var factory = provider.CreateFactory();
        var critic = CreateCritic().AsBuilder().UseLogging(factory).Build();

        await critic.CritiqueAsync(new CritiqueRequest("SECRET-INSTRUCTION", "SECRET-RESPONSE"));

        var trace = provider.Entries.Where(e => e.Level == LogLevel.Trace).Select(e => e.Message).ToList();
        Assert.Contains(trace, m => m.Contains("SECRET-INSTRUCTION", StringComparison.Ordinal));
        Assert.Contains(trace, m => m.Contains("SECRET-ANSWER", StringComparison.Ordinal));
        Assert.All(provider.Entries.Where(e => e.Level > LogLevel.Trace), e => Assert.DoesNotContain("SECRET", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UseLogging_Failure_LogsTypeOnlyAndRethrows()
    {
        using var provider = new CapturingLoggerProvider(LogLevel.Debug);
        using var factory = provider.CreateFactory();
        var chat = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new InvalidOperationException("SECRET body") };
        var critic = new ChatClientCritic(chat).AsBuilder().UseLogging(factory).Build();

        await Assert.ThrowsAsync<InvalidOperationException>(() => critic.CritiqueAsync(new CritiqueRequest("i", "r")));

        var entry = Assert.Single(provider.Entries);
        Assert.Contains("InvalidOperationException", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseLogging_NoLoggerFactory_AddsNothing()
    {
        var inner = CreateCritic();

        Assert.Same(inner, inner.AsBuilder().UseLogging().Build());
    }

    [Fact]
    public void Build_Decorators_FirstAddedIsOutermostAndServicesChain()
    {
        var inner = CreateCritic();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug));
        var order = new List<string>();

        var critic = inner.AsBuilder()
            .Use(c => new NamedCritic(c, "outer", order))
            .UseLogging(factory)
            .Use(c => new NamedCritic(c, "inner", order))
            .Build();

        Assert.Equal("outer", Assert.IsType<NamedCritic>(critic).Name);
        Assert.Equal(["inner", "outer"], order);
        Assert.NotNull(critic.GetService(typeof(LoggingCritic)));
        Assert.Same(inner, critic.GetService(typeof(IRefiner)));
    }

    private static ChatClientCritic CreateCritic() =>
        new(new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer(Answer)) });

    private sealed class NamedCritic : DelegatingCritic
    {
        public NamedCritic(ICritic inner, string name, List<string> order)
            : base(inner)
        {
            Name = name;
            order.Add(name);
        }

        public string Name { get; }
    }
}
