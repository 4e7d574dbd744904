using System.Text.Json;
using Microsoft.Extensions.AI;
using Srt.Testing;

namespace Srt.OpenAI.Tests;

/// <summary>A 200 whose JSON body is cut short (a proxy or connection that ends a body early) is a transient failure.</summary>
public sealed class TruncatedBodyTests
{
    [Fact]
    public async Task OpenAIChatClient_TruncatedJsonBody_ThrowsJsonExceptionInItsChain()
    {
        using var server = new LoopbackOpenAIServer();
        server.TruncateNext();
        var options = new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint };
        options.Critic.Retry = null;
        IChatClient client = OpenAICritic.CreateChatClient(options);

        Exception thrown = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("### Instruction\nName a prime.\n\n### Feedback"));

        var chain = new List<Exception>();
        for (Exception? current = thrown; current is not null; current = current.InnerException)
        {
            chain.Add(current);
        }

        Assert.True(chain.Any(exception => exception is JsonException), string.Join(" <- ", chain.Select(e => $"{e.GetType().Name}: {e.Message}")));
    }
}
