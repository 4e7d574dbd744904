using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Srt;
using Srt.TorchSharp;
using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Training;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Chooses what the model registered by <c>AddTorchSharpModel</c> serves as: the loop's policy
/// (<see cref="AddPolicy"/>) and its trainer (<see cref="AddTrainer"/>). Both resolve the one registered
/// <see cref="CausalLanguageModel"/>, so the trainer changes the weights the policy generates with, and they share its
/// lock, so generation and training never overlap.
/// </summary>
/// <remarks>
/// <c>AddSrt</c>'s loop resolves <see cref="IPolicyModel"/> and <see cref="ITrainer"/> from the container, so these
/// registrations are all it needs besides a critic. Each call replaces an earlier registration of the same service
/// (a <c>WithPolicy</c> or <c>WithTrainer</c> on the Srt builder included), so the last call wins. Settings are
/// validated here, not at first use; the exception names the bad setting.
/// </remarks>
public sealed class TorchSharpModelBuilder
{
    internal TorchSharpModelBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the service collection the registrations go to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers a <see cref="TorchSharpPolicyModel"/> over the model as a singleton, resolvable as itself and as
    /// <see cref="IPolicyModel"/>.
    /// </summary>
    /// <param name="configure">Changes batching, limits and default sampling; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public TorchSharpModelBuilder AddPolicy(Action<TorchSharpPolicyModelOptions>? configure = null)
    {
        var options = new TorchSharpPolicyModelOptions();
        configure?.Invoke(options);
        options.Validate();
        GenerationOptionsValidation.Validate(options.DefaultGenerationOptions);
        Services.RemoveAll<TorchSharpPolicyModel>();
        Services.RemoveAll<IPolicyModel>();
        Services.AddSingleton(services => services.GetRequiredService<CausalLanguageModel>().AsPolicyModel(options));
        Services.AddSingleton<IPolicyModel>(services => services.GetRequiredService<TorchSharpPolicyModel>());
        return this;
    }

    /// <summary>
    /// Registers a <see cref="TorchSharpTrainer"/> that trains the model in place as a singleton, resolvable as itself
    /// and as <see cref="ITrainer"/>. Its logger comes from the container's <see cref="ILoggerFactory"/>.
    /// </summary>
    /// <param name="configureSupervised">Changes the settings of supervised runs (stage 1), which start from the
    /// paper's stage-1 settings (a new <see cref="SupervisedTrainerOptions"/>); may be <see langword="null"/>.</param>
    /// <param name="configurePreference">Changes the settings of preference runs (stage 2), which start from the
    /// paper's stage-2 settings (a new <see cref="PreferenceTrainerOptions"/>); may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public TorchSharpModelBuilder AddTrainer(
        Action<SupervisedTrainerOptions>? configureSupervised = null, Action<PreferenceTrainerOptions>? configurePreference = null)
    {
        var supervised = new SupervisedTrainerOptions();
        configureSupervised?.Invoke(supervised);
        supervised.Validate();
        var preference = new PreferenceTrainerOptions();
        configurePreference?.Invoke(preference);
        preference.Validate();
        Services.RemoveAll<TorchSharpTrainer>();
        Services.RemoveAll<ITrainer>();
        Services.AddSingleton(services =>
            services.GetRequiredService<CausalLanguageModel>().CreateTrainer(supervised, preference, services.GetService<ILoggerFactory>()));
        Services.AddSingleton<ITrainer>(services => services.GetRequiredService<TorchSharpTrainer>());
        return this;
    }
}
