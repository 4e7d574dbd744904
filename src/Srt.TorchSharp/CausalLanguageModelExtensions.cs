using Microsoft.Extensions.AI;

namespace Srt.TorchSharp;

/// <summary>Turns a local model into a Microsoft.Extensions.AI <see cref="IChatClient"/>.</summary>
public static class TorchSharpChatClientExtensions
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
}
