using System.ClientModel.Primitives;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Srt.OpenAI.Tests;

[Collection(nameof(ProcessEnvironmentCollection))]
public class OpenAICriticConfigurationTests
{
    [Fact]
    public async Task Critique_NoApiKeySet_SendsOpenAIApiKeyFromEnvironment()
    {
        using var environment = EnvironmentVariables.Keys(openAI: "sk-env-SECRET");
        var handler = new FakeOpenAIHandler().ThenCompletion("Weaknesses:\n- a\nSuggestions:\n- b\nOverall Score: [[6]]");
        var options = new OpenAICriticOptions
        {
            Transport = new HttpClientPipelineTransport(new HttpClient(handler)),
        };

        var critique = await OpenAICritic.Create(options).CritiqueAsync(new CritiqueRequest("i", "r"));

        Assert.Equal(6, critique.Feedback.Score);
        Assert.Equal("Bearer sk-env-SECRET", Assert.Single(handler.Requests).Authorization);
        Assert.DoesNotContain("SECRET", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WithOpenAICriticFromConfiguration_BindsSection()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Srt:Critic:Model"] = "gpt-4o",
                ["Srt:Critic:Endpoint"] = "http://127.0.0.1:8000/v1",
                ["Srt:Critic:NetworkTimeout"] = "00:01:30",
                ["Srt:Critic:Critic:MaxOutputTokens"] = "512",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        var builder = services.AddSrt(o => o.RunDirectory = "unused");

        builder.WithOpenAICriticFromConfiguration();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<OpenAICriticOptions>>().Value;
        Assert.Equal("gpt-4o", options.Model);
        Assert.Equal(new Uri("http://127.0.0.1:8000/v1"), options.Endpoint);
        Assert.Equal(TimeSpan.FromSeconds(90), options.NetworkTimeout);
        var critic = provider.GetRequiredService<ICritic>();
        Assert.Equal(512, critic.GetService<ChatClientCriticOptions>()?.MaxOutputTokens);
    }

    [Fact]
    public void WithOpenAICriticFromConfiguration_MissingModel_ErrorNamesSetting()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Srt:Critic:Model"] = " ", ["Srt:Critic:Endpoint"] = "http://127.0.0.1:1/v1" })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSrt(o => o.RunDirectory = "unused").WithOpenAICriticFromConfiguration();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<ICritic>());

        Assert.Contains("Model", ex.Message, StringComparison.Ordinal);
    }
}
