using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Srt.Testing;

namespace Srt.OpenAI.Tests;

/// <summary>The OpenAI-compatible policy over a real HTTP wire (the loopback server), and its registration.</summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class OpenAIPolicyTests
{
    private static readonly RetryOptions FastRetry = new() { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(5), UseJitter = false };

    [Fact]
    public async Task GenerateAsync_OverHttp_SendsSamplingSettingsAndReportsTheServersTokens()
    {
        using var server = new LoopbackOpenAIServer();
        server.ServePolicy("policy-test", prompt => "answer to " + prompt);
        using var policy = OpenAIPolicy.Create("policy-test", server.Endpoint);
        var settings = new GenerationOptions { Temperature = 0.5f, TopP = 0.8f, TopK = 20, MaxNewTokens = 99, Seed = 7 };
        settings.StopSequences.Add("END");

        var completions = await policy.GenerateAsync([Prompt("Name a prime."), Prompt("Name a colour."), Prompt("Name a river.")], settings);

        Assert.Equal(["answer to Name a prime.", "answer to Name a colour.", "answer to Name a river."], completions.Select(c => c.Text));
        Assert.All(completions, c => Assert.Equal(CompletionFinishReason.Stop, c.FinishReason));
        ServedRequest[] log = server.LogSnapshot();
        Assert.Equal(3, log.Length);
        for (int i = 0; i < 3; i++)
        {
            ServedRequest served = Assert.Single(log, entry => entry.Prompt == completions[i].Text["answer to ".Length..]);
            Assert.Equal((int)served.PromptTokens, completions[i].PromptTokens);
            Assert.Equal((int)served.CompletionTokens, completions[i].CompletionTokens);
            using var body = JsonDocument.Parse(served.Body);
            JsonElement root = body.RootElement;
            Assert.Equal("policy-test", root.GetProperty("model").GetString());
            Assert.Equal(7 + i, root.GetProperty("seed").GetInt64());
            Assert.Equal(20, root.GetProperty("top_k").GetInt32());
            Assert.Equal(0.5, root.GetProperty("temperature").GetDouble(), 3);
            Assert.Equal(0.8, root.GetProperty("top_p").GetDouble(), 3);
            Assert.Equal(99, root.GetProperty("max_completion_tokens").GetInt32());
            Assert.Equal(99, root.GetProperty("max_tokens").GetInt32()); // for servers that predate max_completion_tokens
            Assert.Equal("END", Assert.Single(root.GetProperty("stop").EnumerateArray()).GetString());
            Assert.False(root.TryGetProperty("stream", out var stream) && stream.GetBoolean());
        }
    }

    [Fact]
    public async Task GenerateAsync_OpenAIApi_SendsOnlyMaxCompletionTokensAndTheKeyFromTheEnvironment()
    {
        using var environment = EnvironmentVariables.Keys(openAI: "sk-env-SECRET");
        var handler = new FakeOpenAIHandler().ThenCompletion("hosted answer", "length");
        var options = new OpenAIPolicyOptions
        {
            Model = "gpt-4o-mini",
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(new HttpClient(handler)),
        };
        using var policy = OpenAIPolicy.Create(options);

        var completion = Assert.Single(await policy.GenerateAsync([Prompt("x")], new GenerationOptions { MaxNewTokens = 50 }));

        var request = Assert.Single(handler.Requests);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(50, body.RootElement.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(body.RootElement.TryGetProperty("max_tokens", out _));
        Assert.False(body.RootElement.TryGetProperty("top_k", out _));
        Assert.Equal("Bearer sk-env-SECRET", request.Authorization);
        Assert.Equal(new PolicyCompletion("hosted answer", CompletionFinishReason.Length, completion.PromptTokens, completion.CompletionTokens), completion);
    }

    [Fact]
    public async Task GenerateAsync_ServerErrorThenSuccess_RetriedAndTheItemSucceeds()
    {
        using var server = new LoopbackOpenAIServer();
        server.ServePolicy("policy-test", prompt => "ok");
        server.FailNext(503);
        var options = new OpenAIPolicyOptions { Model = "policy-test", Endpoint = server.Endpoint };
        options.Policy.Retry = FastRetry;
        using var policy = OpenAIPolicy.Create(options);

        var completion = Assert.Single(await policy.GenerateAsync([Prompt("x")]));

        Assert.Equal("ok", completion.Text);
        Assert.Equal(1, server.FaultsAnswered);
        Assert.Equal(1, policy.ChatClient.GetService<RetryingChatClient>()!.Retries);
    }

    [Theory]
    [InlineData(401, "API key")]
    [InlineData(404, "model name")]
    public async Task GenerateAsync_KeyRejectedOrModelUnknown_Throws(int status, string hint)
    {
        using var server = new LoopbackOpenAIServer();
        server.FailNext(status);
        var options = new OpenAIPolicyOptions { Model = "policy-test", Endpoint = server.Endpoint, ApiKey = "sk-SECRET" };
        options.Policy.Retry = FastRetry;
        options.Policy.MaxConcurrentRequests = 1;
        using var policy = OpenAIPolicy.Create(options);

        var thrown = await Assert.ThrowsAsync<UnrecoverableCallException>(() => policy.GenerateAsync([Prompt("a"), Prompt("b")]));

        Assert.Contains(hint, thrown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", thrown.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, server.FaultsAnswered);
        Assert.Equal(0, server.Total);
    }

    [Fact]
    public void Options_KeyFromPolicyVariable_UsedForACustomEndpointAndNeverShown()
    {
        var options = new OpenAIPolicyOptions { Model = "m", Endpoint = new Uri("http://127.0.0.1:8000/v1") };

        using (EnvironmentVariables.Keys(openAI: "sk-openai", policy: "vllm-SECRET"))
        {
            Assert.Equal("vllm-SECRET", options.ResolveApiKey());
            Assert.DoesNotContain("SECRET", options.ToString(), StringComparison.Ordinal);
        }
        using var environment = EnvironmentVariables.Keys(openAI: "sk-openai");
        Assert.Null(options.ResolveApiKey());
        options.Endpoint = null;
        Assert.Equal("sk-openai", options.ResolveApiKey());
    }

    [Fact]
    public void Validate_MissingModelOrKey_ErrorNamesTheSetting()
    {
        using var environment = EnvironmentVariables.Keys();
        var noModel = Assert.Throws<ArgumentException>(() => new OpenAIPolicyOptions { Endpoint = new Uri("http://127.0.0.1:1/v1") }.Validate());
        var noKey = Assert.Throws<ArgumentException>(() => new OpenAIPolicyOptions { Model = "gpt-4o" }.Validate());

        Assert.Equal(nameof(OpenAIPolicyOptions.Model), noModel.ParamName);
        Assert.Equal(nameof(OpenAIPolicyOptions.ApiKey), noKey.ParamName);
        Assert.Contains(OpenAIPolicyOptions.ApiKeyEnvironmentVariable, noKey.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithOpenAIPolicyFromConfiguration_BindsSection()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Srt:Policy:Model"] = "Qwen/Qwen3-8B",
                ["Srt:Policy:Endpoint"] = "http://127.0.0.1:8000/v1",
                ["Srt:Policy:Policy:MaxConcurrentRequests"] = "128",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);

        services.AddSrt(o => o.RunDirectory = "unused").WithOpenAIPolicyFromConfiguration();
        using var provider = services.BuildServiceProvider();

        var policy = Assert.IsType<ChatClientPolicyModel>(provider.GetRequiredService<IPolicyModel>());
        Assert.Equal(128, ((ChatClientPolicyModelOptions?)policy.GetService(typeof(ChatClientPolicyModelOptions)))?.MaxConcurrentRequests);
        Assert.Equal("Qwen/Qwen3-8B", ((ChatClientMetadata?)policy.GetService(typeof(ChatClientMetadata)))?.DefaultModelId);
    }

    [Fact]
    public async Task WithOpenAIPolicy_ResolvedPolicy_AnswersOverHttp()
    {
        using var server = new LoopbackOpenAIServer();
        server.ServePolicy("policy-test", prompt => "hi");
        var services = new ServiceCollection();
        services.AddSrt(o => o.RunDirectory = "unused").WithOpenAIPolicy("policy-test", server.Endpoint, configure: o => o.Policy.MaxConcurrentRequests = 2);
        using var provider = services.BuildServiceProvider();

        var completion = Assert.Single(await provider.GetRequiredService<IPolicyModel>().GenerateAsync([Prompt("x")]));

        Assert.Equal("hi", completion.Text);
        Assert.Equal(1, server.Count("policy:policy-test"));
    }

    private static List<ChatMessage> Prompt(string text) => [new ChatMessage(ChatRole.User, text)];
}
