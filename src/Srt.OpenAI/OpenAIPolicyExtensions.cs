using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Srt;
using Srt.OpenAI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a model behind an OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp, Ollama, a hosted model) as the Srt policy.</summary>
public static class OpenAIPolicyExtensions
{
    /// <summary>Uses a model behind an OpenAI-compatible endpoint as the policy.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="model">The model name the server knows (for vLLM, the served model name or a LoRA adapter's name).</param>
    /// <param name="endpoint">The server address, such as <c>http://localhost:8000/v1</c>.</param>
    /// <param name="apiKey">The API key, or <see langword="null"/> to read <c>SRT_POLICY_API_KEY</c> or send none.</param>
    /// <param name="configure">Changes further settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithOpenAIPolicy(
        this ISrtBuilder builder, string model, Uri endpoint, string? apiKey = null, Action<OpenAIPolicyOptions>? configure = null) =>
        builder.WithOpenAIPolicy(options =>
        {
            options.Model = model;
            options.Endpoint = endpoint;
            options.ApiKey = apiKey;
            configure?.Invoke(options);
        });

    /// <summary>Uses a model behind an OpenAI-compatible endpoint, or of the OpenAI API, as the policy.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="configure">Sets the model, endpoint or key, and further settings.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">The settings are invalid; checked here, not at first use.</exception>
    public static ISrtBuilder WithOpenAIPolicy(this ISrtBuilder builder, Action<OpenAIPolicyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OpenAIPolicyOptions();
        configure(options);
        options.Validate();
        return builder.WithPolicy(services =>
            OpenAIPolicy.Create(options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>()));
    }

    /// <summary>
    /// Uses a model behind an OpenAI-compatible endpoint as the policy, with its settings bound from configuration
    /// (for example <c>appsettings.json</c>): <c>Model</c>, <c>Endpoint</c>, <c>ApiKey</c>, <c>NetworkTimeout</c> and
    /// <c>Policy</c> (concurrency bound, retries). Without <c>ApiKey</c>, <c>SRT_POLICY_API_KEY</c> is read.
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="sectionPath">The configuration section, such as <c>Srt:Policy</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>The settings are validated when the policy is first resolved; the exception names the bad setting.</remarks>
    public static ISrtBuilder WithOpenAIPolicyFromConfiguration(this ISrtBuilder builder, string sectionPath = "Srt:Policy")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionPath);
        builder.Services.AddOptions<OpenAIPolicyOptions>().BindConfiguration(sectionPath);
        return builder.WithPolicy(services =>
            OpenAIPolicy.Create(
                services.GetRequiredService<IOptions<OpenAIPolicyOptions>>().Value,
                services.GetService<ILoggerFactory>(),
                services.GetService<TimeProvider>()));
    }
}
