using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp;

/// <summary>
/// The ways to use a loaded <see cref="CausalLanguageModel"/>: as a Microsoft.Extensions.AI <see cref="IChatClient"/>,
/// as Srt's <see cref="IPolicyModel"/>, and with a <see cref="TorchSharpTrainer"/>. All of them share the bundle and
/// its lock, so generation and training never overlap.
/// </summary>
public static class CausalLanguageModelExtensions
{
    /// <summary>Returns a chat client over the bundle.</summary>
    /// <param name="model">The model bundle (not owned by the client).</param>
    /// <param name="defaultOptions">Sampling settings for values a request leaves unset.</param>
    /// <returns>The chat client.</returns>
    public static IChatClient AsChatClient(this CausalLanguageModel model, GenerationOptions? defaultOptions = null) =>
        new TorchSharpChatClient(model, defaultOptions);

    /// <summary>Returns a chat client over the policy model's bundle, sharing its lock.</summary>
    /// <param name="policy">The policy model.</param>
    /// <param name="defaultOptions">Sampling settings for values a request leaves unset.</param>
    /// <returns>The chat client.</returns>
    public static IChatClient AsChatClient(this TorchSharpPolicyModel policy, GenerationOptions? defaultOptions = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new TorchSharpChatClient(policy.Model, defaultOptions);
    }

    /// <summary>Returns the bundle as the policy the loop samples from (<see cref="TorchSharpPolicyModel"/>).</summary>
    /// <param name="model">The model bundle (not owned by the policy).</param>
    /// <param name="options">Batching and limits; the defaults when null.</param>
    /// <returns>The policy model.</returns>
    public static TorchSharpPolicyModel AsPolicyModel(this CausalLanguageModel model, TorchSharpPolicyModelOptions? options = null) =>
        new(model, options);

    /// <summary>Returns a trainer that trains the bundle's model in place (<see cref="TorchSharpTrainer"/>).</summary>
    /// <param name="model">The model bundle.</param>
    /// <param name="supervisedOptions">Settings of supervised runs (stage 1); the paper's when null.</param>
    /// <param name="preferenceOptions">Settings of preference runs (stage 2); the paper's when null.</param>
    /// <param name="loggerFactory">Creates the trainer's logger; none when null.</param>
    /// <returns>The trainer.</returns>
    public static TorchSharpTrainer CreateTrainer(
        this CausalLanguageModel model, SupervisedTrainerOptions? supervisedOptions = null, PreferenceTrainerOptions? preferenceOptions = null,
        ILoggerFactory? loggerFactory = null) =>
        new(model, supervisedOptions, preferenceOptions, loggerFactory);
}
