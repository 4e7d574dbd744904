namespace Srt;

/// <summary>
/// A critic that passes calls on to an inner critic: the base class for decorators such as <see cref="LoggingCritic"/>.
/// </summary>
/// <remarks>
/// <see cref="GetService"/> answers with this instance when it matches and otherwise asks the inner critic, so
/// capabilities of the innermost critic (such as <see cref="IRefiner"/> on <see cref="ChatClientCritic"/>) stay reachable.
/// </remarks>
public abstract class DelegatingCritic : ICritic
{
    /// <summary>Initializes a new instance of the <see cref="DelegatingCritic"/> class.</summary>
    /// <param name="innerCritic">The critic to pass calls on to.</param>
    protected DelegatingCritic(ICritic innerCritic)
    {
        ArgumentNullException.ThrowIfNull(innerCritic);
        InnerCritic = innerCritic;
    }

    /// <summary>Gets the critic calls are passed on to.</summary>
    protected ICritic InnerCritic { get; }

    /// <inheritdoc />
    public virtual Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default) =>
        InnerCritic.CritiqueAsync(request, cancellationToken);

    /// <inheritdoc />
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this)
            ? this
            : InnerCritic.GetService(serviceType, serviceKey);
    }
}
