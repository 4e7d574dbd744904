namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The <see cref="ISrtBuilder"/> returned by <c>AddSrt</c>.</summary>
internal sealed class SrtBuilder(IServiceCollection services) : ISrtBuilder
{
    public IServiceCollection Services { get; } = services ?? throw new ArgumentNullException(nameof(services));
}
