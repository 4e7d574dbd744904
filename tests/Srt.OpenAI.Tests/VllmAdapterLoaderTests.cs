using Srt.Testing;

namespace Srt.OpenAI.Tests;

/// <summary>The train → serve hand-off against a loopback server that answers vLLM's runtime LoRA routes and records the calls.</summary>
public sealed class VllmAdapterLoaderTests : IDisposable
{
    private readonly LoopbackOpenAIServer _server = new();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task LoadAsync_NewThenSameThenOtherPath_LoadsOnceKeepsThenReplaces()
    {
        var loader = new VllmAdapterLoader(_server.Endpoint, _http);

        var first = await loader.LoadAsync("policy-stage1", "/ckpt/stage1");
        var again = await loader.LoadAsync("policy-stage1", "/ckpt/stage1");
        var other = await loader.LoadAsync("policy-stage1", "/ckpt/stage1-retrained");

        Assert.Equal(VllmAdapterLoadOutcome.Loaded, first);
        Assert.Equal(VllmAdapterLoadOutcome.AlreadyLoaded, again);
        Assert.Equal(VllmAdapterLoadOutcome.Reloaded, other);
        Assert.Equal(
            [
                ("/v1/load_lora_adapter", 200), // loaded
                ("/v1/load_lora_adapter", 400), ("/v1/models", 200), // already loaded from the same path: nothing else
                ("/v1/load_lora_adapter", 400), ("/v1/models", 200), ("/v1/unload_lora_adapter", 200), ("/v1/load_lora_adapter", 200),
            ],
            _server.AdapterCalls.Select(call => (call.Route, call.Status)));
        Assert.Contains("\"lora_path\":\"/ckpt/stage1-retrained\"", _server.AdapterCalls[^1].Body, StringComparison.Ordinal);
        Assert.Contains("\"lora_name\":\"policy-stage1\"", _server.AdapterCalls[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_RuntimeLoraRoutesOff_ErrorSaysHowToStartTheServer()
    {
        _server.LoraRoutesEnabled = false;
        var loader = new VllmAdapterLoader(_server.Endpoint, _http);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => loader.LoadAsync("policy-stage1", "/ckpt/stage1"));

        Assert.Contains("HTTP 404", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("VLLM_ALLOW_RUNTIME_LORA_UPDATING=True", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("--enable-lora", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_ThenPolicyTargetsTheAdapterByName_AnsweredOnlyAfterLoading()
    {
        _server.ServePolicy("policy-stage1", prompt => "trained answer", asAdapter: true);
        var options = new OpenAIPolicyOptions { Model = "policy-stage1", Endpoint = _server.Endpoint };
        options.Policy.Retry = new RetryOptions { MaxAttempts = 1 };
        using var policy = OpenAIPolicy.Create(options);
        List<Microsoft.Extensions.AI.ChatMessage> prompt = [new(Microsoft.Extensions.AI.ChatRole.User, "q")];

        var before = await Assert.ThrowsAsync<UnrecoverableCallException>(() => policy.GenerateAsync([prompt]));
        var outcome = await VllmAdapterLoader.Create(options, _http).LoadAsync(options.Model!, "/ckpt/stage1");
        var after = Assert.Single(await policy.GenerateAsync([prompt]));

        Assert.Contains("HTTP 404", before.Message, StringComparison.Ordinal);
        Assert.Equal(VllmAdapterLoadOutcome.Loaded, outcome);
        Assert.Equal("trained answer", after.Text);
        Assert.Equal(1, _server.Count("policy:policy-stage1"));
    }

    [Fact]
    public void Create_PolicyWithoutEndpoint_ErrorNamesTheSetting()
    {
        var options = new OpenAIPolicyOptions { Model = "gpt-4o", ApiKey = "sk-x" };

        var thrown = Assert.Throws<ArgumentException>(() => VllmAdapterLoader.Create(options, _http));

        Assert.Contains("OpenAIPolicyOptions.Endpoint", thrown.Message, StringComparison.Ordinal);
    }
}
