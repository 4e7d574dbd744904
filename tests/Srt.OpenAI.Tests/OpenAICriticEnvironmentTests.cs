using Microsoft.Extensions.AI;

namespace Srt.OpenAI.Tests;

/// <summary>Tests that set the process's key variables (<see cref="EnvironmentVariables"/>) run alone, after every parallel test.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;

[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class OpenAICriticEnvironmentTests
{
    [Fact]
    public void Create_ModelOnly_ReadsTheKeyFromOpenAIApiKey()
    {
        using (EnvironmentVariables.Keys())
        {
            var missing = Assert.Throws<ArgumentException>(() => OpenAICritic.Create("gpt-4o-mini"));
            Assert.Contains(OpenAICriticOptions.ApiKeyEnvironmentVariable, missing.Message, StringComparison.Ordinal);
        }

        using var environment = EnvironmentVariables.Keys(openAI: "sk-from-environment");
        var critic = OpenAICritic.Create("gpt-4o-mini");
        Assert.Equal("gpt-4o-mini", critic.ChatClient.GetService<ChatClientMetadata>()?.DefaultModelId);
    }
}
