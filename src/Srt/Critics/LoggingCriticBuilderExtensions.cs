using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt;

/// <summary>Adds <see cref="LoggingCritic"/> to a critic pipeline.</summary>
public static class LoggingCriticBuilderExtensions
{
    /// <summary>Logs the critiques of the critics after this one in the pipeline.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="loggerFactory">The logger factory; <see langword="null"/> resolves one from the services.</param>
    /// <returns>The builder. Without a logger factory, or with the null one, no decorator is added.</returns>
    public static CriticBuilder UseLogging(this CriticBuilder builder, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var factory = loggerFactory ?? services.GetService<ILoggerFactory>();
            return factory is null || factory == NullLoggerFactory.Instance
                ? inner
                : new LoggingCritic(inner, factory.CreateLogger<LoggingCritic>());
        });
    }
}
