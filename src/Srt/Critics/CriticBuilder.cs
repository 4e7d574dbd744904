namespace Srt;

/// <summary>Builds a pipeline of critic decorators around an inner critic, like <c>ChatClientBuilder</c> does for chat clients.</summary>
public sealed class CriticBuilder
{
    private readonly Func<IServiceProvider, ICritic> _innerCriticFactory;
    private readonly List<Func<ICritic, IServiceProvider, ICritic>> _decorators = [];

    /// <summary>Initializes a new instance of the <see cref="CriticBuilder"/> class.</summary>
    /// <param name="innerCritic">The critic at the end of the pipeline.</param>
    public CriticBuilder(ICritic innerCritic)
    {
        ArgumentNullException.ThrowIfNull(innerCritic);
        _innerCriticFactory = _ => innerCritic;
    }

    /// <summary>Initializes a new instance of the <see cref="CriticBuilder"/> class.</summary>
    /// <param name="innerCriticFactory">Creates the critic at the end of the pipeline.</param>
    public CriticBuilder(Func<IServiceProvider, ICritic> innerCriticFactory)
    {
        ArgumentNullException.ThrowIfNull(innerCriticFactory);
        _innerCriticFactory = innerCriticFactory;
    }

    /// <summary>Adds a decorator; the first one added is the outermost.</summary>
    /// <param name="decorator">Wraps the critic after it in the pipeline.</param>
    /// <returns>This builder.</returns>
    public CriticBuilder Use(Func<ICritic, ICritic> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        return Use((inner, _) => decorator(inner));
    }

    /// <summary>Adds a decorator that may resolve services; the first one added is the outermost.</summary>
    /// <param name="decorator">Wraps the critic after it in the pipeline.</param>
    /// <returns>This builder.</returns>
    public CriticBuilder Use(Func<ICritic, IServiceProvider, ICritic> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        _decorators.Add(decorator);
        return this;
    }

    /// <summary>Builds the pipeline.</summary>
    /// <param name="services">The services decorators may resolve; <see langword="null"/> gives an empty provider.</param>
    /// <returns>The outermost critic.</returns>
    public ICritic Build(IServiceProvider? services = null)
    {
        services ??= EmptyServiceProvider.Instance;
        var critic = _innerCriticFactory(services);
        for (int i = _decorators.Count - 1; i >= 0; i--)
        {
            critic = _decorators[i](critic, services)
                ?? throw new InvalidOperationException($"The decorator at index {i} of the {nameof(CriticBuilder)} returned null.");
        }

        return critic;
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
