using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Srt;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Srt's <see cref="SelfRefinementLoop"/> in a service collection.</summary>
public static class SrtServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SelfRefinementLoop"/> as a singleton and its <see cref="SelfRefinementOptions"/>; choose
    /// the policy, critic and trainer with the returned builder (<c>WithPolicy</c>, <c>WithCritic</c> or
    /// <c>WithChatClientCritic</c>, <c>WithTrainer</c>), or register a TorchSharp model as policy and trainer with
    /// <c>services.AddTorchSharpModel(folder).AddPolicy().AddTrainer()</c> (Srt.TorchSharp).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the loop's options, such as its run directory; may be <see langword="null"/>.</param>
    /// <returns>The builder for the rest of the registration.</returns>
    /// <remarks>
    /// The loop's refiner is the registered <see cref="IRefiner"/> when there is one, otherwise the critic itself
    /// when it is also a refiner (as <see cref="ChatClientCritic"/> is). Options are validated when the loop is
    /// first resolved; the exception names the bad setting. Registrations use <c>TryAdd</c>, so calling this twice
    /// or registering your own loop first keeps the first registration.
    /// </remarks>
    public static ISrtBuilder AddSrt(this IServiceCollection services, Action<SelfRefinementOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SelfRefinementOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(CreateLoop);
        return new SrtBuilder(services);
    }

    private static SelfRefinementLoop CreateLoop(IServiceProvider services)
    {
        var critic = services.GetService<ICritic>()
            ?? throw MissingService<ICritic>("WithCritic, WithChatClientCritic or WithOpenAICritic");
        var policy = services.GetService<IPolicyModel>() ?? throw MissingService<IPolicyModel>(
            "WithPolicy, WithChatClientPolicy or WithOpenAIPolicy",
            "services.AddTorchSharpModel(folder).AddPolicy()");
        var trainer = services.GetService<ITrainer>() ?? throw MissingService<ITrainer>("WithTrainer", "services.AddTorchSharpModel(folder).AddTrainer()");
        return new SelfRefinementLoop(
            policy,
            critic,
            trainer,
            services.GetRequiredService<IOptions<SelfRefinementOptions>>().Value,
            services.GetService<ILoggerFactory>(),
            services.GetService<IRefiner>());
    }

    private static InvalidOperationException MissingService<T>(string registration, string? torchSharpRegistration = null) =>
        new($"{nameof(SelfRefinementLoop)} needs an {typeof(T).Name}; register one with {registration} on the builder AddSrt returns"
            + (torchSharpRegistration is null ? "." : $", or with {torchSharpRegistration} (Srt.TorchSharp)."));
}
