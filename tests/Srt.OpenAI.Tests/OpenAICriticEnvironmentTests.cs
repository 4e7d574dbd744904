using Microsoft.Extensions.AI;

namespace Srt.OpenAI.Tests;

/// <summary>These tests set the process's OPENAI_API_KEY, so they run alone, after every parallel test.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;

[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class OpenAICriticEnvironmentTests
{
    [Fact]
    public void Create_ModelOnly_ReadsTheKeyFromOpenAIApiKey()
    {
        string? saved = Environment.GetEnvironmentVariable(OpenAICriticOptions.ApiKeyEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(OpenAICriticOptions.ApiKeyEnvironmentVariable, null);
            var missing = Assert.Throws<ArgumentException>(() => OpenAICritic.Create("gpt-4o-mini"));
            Assert.Contains(OpenAICriticOptions.ApiKeyEnvironmentVariable, missing.Message, StringComparison.Ordinal);

            Environment.SetEnvironmentVariable(OpenAICriticOptions.ApiKeyEnvironmentVariable, "sk-from-environment");
            var critic = OpenAICritic.Create("gpt-4o-mini");
            Assert.Equal("gpt-4o-mini", critic.ChatClient.GetService<ChatClientMetadata>()?.DefaultModelId);
        }
        finally
        {
            Environment.SetEnvironmentVariable(OpenAICriticOptions.ApiKeyEnvironmentVariable, saved);
        }
    }
}
