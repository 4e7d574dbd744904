namespace Srt;

/// <summary>Typed helpers over <see cref="ICritic.GetService"/>.</summary>
public static class CriticExtensions
{
    /// <summary>Asks the critic, or a critic or client it wraps, for an object of type <typeparamref name="TService"/>.</summary>
    /// <typeparam name="TService">The type of object being requested.</typeparam>
    /// <param name="critic">The critic.</param>
    /// <param name="serviceKey">An optional key to identify the object.</param>
    /// <returns>The object, or <see langword="null"/> when there is none.</returns>
    public static TService? GetService<TService>(this ICritic critic, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(critic);
        return critic.GetService(typeof(TService), serviceKey) is TService service ? service : default;
    }
}
