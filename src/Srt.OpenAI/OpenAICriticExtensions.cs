using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Srt;
using Srt.OpenAI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an OpenAI or OpenAI-compatible model as the Srt critic.</summary>
public static class OpenAICriticExtensions
{
    /// <summary>Uses a model of the OpenAI API as the critic.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="model">The model name, such as <c>gpt-4-turbo</c>.</param>
    /// <param name="apiKey">The API key; it is never logged.</param>
    /// <param name="configure">Changes further settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithOpenAICritic(this ISrtBuilder builder, string model, string apiKey, Action<OpenAICriticOptions>? configure = null) =>
        builder.WithOpenAICritic(options =>
        {
            options.Model = model;
            options.ApiKey = apiKey;
            configure?.Invoke(options);
        });

    /// <summary>Uses a model behind an OpenAI-compatible endpoint as the critic.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="model">The model name the server knows.</param>
    /// <param name="endpoint">The server address, such as <c>http://localhost:8000/v1</c>.</param>
    /// <param name="apiKey">The API key, or <see langword="null"/> when the server needs none.</param>
    /// <param name="configure">Changes further settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithOpenAICritic(
        this ISrtBuilder builder, string model, Uri endpoint, string? apiKey = null, Action<OpenAICriticOptions>? configure = null) =>
        builder.WithOpenAICritic(options =>
        {
            options.Model = model;
            options.Endpoint = endpoint;
            options.ApiKey = apiKey;
            configure?.Invoke(options);
        });

    /// <summary>Uses an OpenAI or OpenAI-compatible model as the critic.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="configure">Sets the model, key or endpoint, and further settings.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">The settings are invalid; checked here, not at first use.</exception>
    public static ISrtBuilder WithOpenAICritic(this ISrtBuilder builder, Action<OpenAICriticOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OpenAICriticOptions();
        configure(options);
        options.Validate();
        return builder.WithCritic(services =>
            OpenAICritic.Create(options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>()));
    }

    /// <summary>
    /// Uses an OpenAI or OpenAI-compatible model as the critic, with its settings bound from configuration
    /// (for example <c>appsettings.json</c>): <c>Model</c>, <c>Endpoint</c>, <c>ApiKey</c>, <c>NetworkTimeout</c> and
    /// <c>Critic</c> (temperature, token limit, retries). Without <c>ApiKey</c>, <c>OPENAI_API_KEY</c> is read.
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="sectionPath">The configuration section, such as <c>Srt:Critic</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>The settings are validated when the critic is first resolved; the exception names the bad setting.</remarks>
    public static ISrtBuilder WithOpenAICriticFromConfiguration(this ISrtBuilder builder, string sectionPath = "Srt:Critic")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionPath);
        builder.Services.AddOptions<OpenAICriticOptions>().BindConfiguration(sectionPath);
        return builder.WithCritic(services =>
            OpenAICritic.Create(
                services.GetRequiredService<IOptions<OpenAICriticOptions>>().Value,
                services.GetService<ILoggerFactory>(),
                services.GetService<TimeProvider>()));
    }
}
