namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures the Srt services registered by <c>AddSrt</c>: the policy, critic and trainer the loop uses.</summary>
public interface ISrtBuilder
{
    /// <summary>Gets the service collection the registrations go to.</summary>
    IServiceCollection Services { get; }
}
