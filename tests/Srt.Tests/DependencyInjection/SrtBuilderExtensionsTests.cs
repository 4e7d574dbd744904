using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Srt.Tests.Critics;

namespace Srt.Tests.DependencyInjection;

public class SrtBuilderExtensionsTests
{
    [Fact]
    public void WithChatClientCritic_DefaultKey_UsesKeyedChatClientAndOptions()
    {
        var services = new ServiceCollection();
        var criticClient = new TestChatClient();
        services.AddKeyedSingleton<IChatClient>("srt-critic", criticClient);
        services.AddSingleton<IChatClient>(new TestChatClient());
        new SrtBuilder(services).WithChatClientCritic(o => o.MaxOutputTokens = 512);
        using var provider = services.BuildServiceProvider();

        var critic = Assert.IsType<ChatClientCritic>(provider.GetRequiredService<ICritic>());

        Assert.Same(criticClient, critic.GetService<TestChatClient>());
        Assert.Equal(512, critic.GetService<ChatClientCriticOptions>()?.MaxOutputTokens);
    }

    [Fact]
    public void WithChatClientCritic_NullKey_UsesUnkeyedChatClient()
    {
        var services = new ServiceCollection();
        var unkeyed = new TestChatClient();
        services.AddSingleton<IChatClient>(unkeyed);
        new SrtBuilder(services).WithChatClientCritic(serviceKey: null);
        using var provider = services.BuildServiceProvider();

        Assert.Same(unkeyed, provider.GetRequiredService<ICritic>().GetService<TestChatClient>());
    }

    [Fact]
    public void WithChatClientCritic_NoChatClient_FailsOnResolve()
    {
        var services = new ServiceCollection();
        new SrtBuilder(services).WithChatClientCritic();
        using var provider = services.BuildServiceProvider();

        Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ICritic>());
    }

    [Fact]
    public void WithChatClientCritic_InvalidOptions_FailsAtRegistration()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SrtBuilder(new ServiceCollection()).WithChatClientCritic(o => o.MaxOutputTokens = 0));
    }

    [Fact]
    public void WithCritic_ConfigureAddsLogging_ResolvesDecoratedCritic()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        var inner = new ChatClientCritic(new TestChatClient());
        new SrtBuilder(services).WithCritic(_ => inner, critics => critics.UseLogging());
        using var provider = services.BuildServiceProvider();

        var critic = provider.GetRequiredService<ICritic>();

        Assert.IsType<LoggingCritic>(critic);
        Assert.Same(inner, critic.GetService(typeof(IRefiner)));
        Assert.Same(critic, provider.GetRequiredService<ICritic>());
    }

    [Fact]
    public void With_CalledTwice_LastRegistrationWins()
    {
        var services = new ServiceCollection();
        var first = new ChatClientCritic(new TestChatClient());
        var second = new ChatClientCritic(new TestChatClient());
        new SrtBuilder(services).WithCritic(_ => first).WithCritic(_ => second).WithRefiner(_ => first);
        using var provider = services.BuildServiceProvider();

        Assert.Same(second, provider.GetRequiredService<ICritic>());
        Assert.Same(first, provider.GetRequiredService<IRefiner>());
        Assert.Single(services, d => d.ServiceType == typeof(ICritic));
    }
}
