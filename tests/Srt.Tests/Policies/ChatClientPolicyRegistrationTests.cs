using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Srt.Tests.Critics;

namespace Srt.Tests.Policies;

public sealed class ChatClientPolicyRegistrationTests
{
    [Fact]
    public void WithChatClientPolicy_DefaultKey_UsesThePolicyChatClientNotTheCritics()
    {
        var services = new ServiceCollection();
        var policyClient = new TestChatClient();
        services.AddKeyedSingleton<IChatClient>(SrtBuilderExtensions.DefaultPolicyChatClientKey, policyClient);
        services.AddKeyedSingleton<IChatClient>(SrtBuilderExtensions.DefaultCriticChatClientKey, new TestChatClient());
        services.AddSrt(o => o.RunDirectory = "unused").WithChatClientPolicy(o => o.MaxConcurrentRequests = 16);
        using var provider = services.BuildServiceProvider();

        var policy = Assert.IsType<ChatClientPolicyModel>(provider.GetRequiredService<IPolicyModel>());

        Assert.Same(policyClient, policy.GetService(typeof(TestChatClient)));
        Assert.Equal(16, ((ChatClientPolicyModelOptions?)policy.GetService(typeof(ChatClientPolicyModelOptions)))?.MaxConcurrentRequests);
        Assert.NotNull(policy.GetService(typeof(RetryingChatClient)));
    }

    [Fact]
    public void WithChatClientPolicy_BadOptions_ThrowsAtRegistration()
    {
        var builder = new ServiceCollection().AddSrt();

        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithChatClientPolicy(o => o.MaxConcurrentRequests = 0));

        Assert.Equal(nameof(ChatClientPolicyModelOptions.MaxConcurrentRequests), thrown.ParamName);
    }
}
