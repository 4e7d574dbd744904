using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Srt;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the policy, critic and trainer of an Srt registration.</summary>
/// <remarks>Each <c>With*</c> call replaces an earlier registration of the same service, so the last call wins.</remarks>
public static class SrtBuilderExtensions
{
    /// <summary>The service key under which <c>WithChatClientCritic</c> looks up the critic's chat client by default.</summary>
    public const string DefaultCriticChatClientKey = "srt-critic";

    /// <summary>The service key under which <c>WithChatClientPolicy</c> looks up the policy's chat client by default.</summary>
    public const string DefaultPolicyChatClientKey = "srt-policy";

    /// <summary>Registers the critic as a singleton, optionally wrapped in decorators.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="criticFactory">Creates the critic.</param>
    /// <param name="configure">Adds decorators, such as <c>UseLogging()</c>; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithCritic(
        this ISrtBuilder builder, Func<IServiceProvider, ICritic> criticFactory, Action<CriticBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(criticFactory);
        builder.Services.RemoveAll<ICritic>();
        builder.Services.AddSingleton(services =>
        {
            var critics = new CriticBuilder(criticFactory);
            configure?.Invoke(critics);
            return critics.Build(services);
        });
        return builder;
    }

    /// <summary>
    /// Registers a <see cref="ChatClientCritic"/> over the <see cref="IChatClient"/> registered under the key
    /// <see cref="DefaultCriticChatClientKey"/> (<c>"srt-critic"</c>).
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="configure">Changes the critic's settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithChatClientCritic(this ISrtBuilder builder, Action<ChatClientCriticOptions>? configure = null) =>
        builder.WithChatClientCritic(DefaultCriticChatClientKey, configure);

    /// <summary>
    /// Registers a <see cref="ChatClientCritic"/> over the <see cref="IChatClient"/> registered under
    /// <paramref name="serviceKey"/>, so the critic and, say, a judge can use different models.
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="serviceKey">The key of the chat client; <see langword="null"/> uses the unkeyed one.</param>
    /// <param name="configure">Changes the critic's settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithChatClientCritic(
        this ISrtBuilder builder, object? serviceKey, Action<ChatClientCriticOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ChatClientCriticOptions();
        configure?.Invoke(options);
        options.Validate();
        return builder.WithCritic(services =>
        {
            var chatClient = serviceKey is null
                ? services.GetRequiredService<IChatClient>()
                : services.GetRequiredKeyedService<IChatClient>(serviceKey);
            return new ChatClientCritic(chatClient, options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>());
        });
    }

    /// <summary>Registers the policy model as a singleton.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="policyFactory">Creates the policy model.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithPolicy(this ISrtBuilder builder, Func<IServiceProvider, IPolicyModel> policyFactory) =>
        ReplaceSingleton(builder, policyFactory);

    /// <summary>
    /// Registers a <see cref="ChatClientPolicyModel"/> over the <see cref="IChatClient"/> registered under the key
    /// <see cref="DefaultPolicyChatClientKey"/> (<c>"srt-policy"</c>): a
    /// vLLM, SGLang, llama.cpp or Ollama server, or a hosted model, as the policy.
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="configure">Changes the policy's settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithChatClientPolicy(this ISrtBuilder builder, Action<ChatClientPolicyModelOptions>? configure = null) =>
        builder.WithChatClientPolicy(DefaultPolicyChatClientKey, configure);

    /// <summary>Registers a <see cref="ChatClientPolicyModel"/> over the <see cref="IChatClient"/> registered under <paramref name="serviceKey"/>.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="serviceKey">The key of the chat client; <see langword="null"/> uses the unkeyed one.</param>
    /// <param name="configure">Changes the policy's settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithChatClientPolicy(
        this ISrtBuilder builder, object? serviceKey, Action<ChatClientPolicyModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ChatClientPolicyModelOptions();
        configure?.Invoke(options);
        options.Validate();
        return builder.WithPolicy(services =>
        {
            var chatClient = serviceKey is null
                ? services.GetRequiredService<IChatClient>()
                : services.GetRequiredKeyedService<IChatClient>(serviceKey);
            return new ChatClientPolicyModel(chatClient, options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>());
        });
    }

    /// <summary>Registers the trainer as a singleton.</summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="trainerFactory">Creates the trainer.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithTrainer(this ISrtBuilder builder, Func<IServiceProvider, ITrainer> trainerFactory) =>
        ReplaceSingleton(builder, trainerFactory);

    /// <summary>
    /// Registers the refiner the loop asks when a critique holds no improved response. Without one, the loop uses
    /// the critic itself when it is also an <see cref="IRefiner"/> (as <see cref="ChatClientCritic"/> is).
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="refinerFactory">Creates the refiner.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ISrtBuilder WithRefiner(this ISrtBuilder builder, Func<IServiceProvider, IRefiner> refinerFactory) =>
        ReplaceSingleton(builder, refinerFactory);

    // One registration of TService, replacing any earlier one.
    private static ISrtBuilder ReplaceSingleton<TService>(
        ISrtBuilder builder,
        Func<IServiceProvider, TService> factory,
        [CallerArgumentExpression(nameof(factory))] string? factoryName = null)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory, factoryName);
        builder.Services.RemoveAll<TService>();
        builder.Services.AddSingleton(factory);
        return builder;
    }
}
