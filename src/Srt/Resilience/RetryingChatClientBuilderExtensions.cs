using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>Adds <see cref="RetryingChatClient"/> to a chat client pipeline.</summary>
public static class RetryingChatClientBuilderExtensions
{
    /// <summary>Retries transient failures of the clients after this one in the pipeline.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">The retry settings; <see langword="null"/> uses the defaults.</param>
    /// <param name="loggerFactory">The logger factory; <see langword="null"/> resolves one from the services, if any.</param>
    /// <param name="timeProvider">The clock for delays; <see langword="null"/> resolves one from the services, or uses the system clock.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ChatClientBuilder UseSrtRetry(
        this ChatClientBuilder builder, RetryOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options?.Validate();
        return builder.Use((inner, services) =>
        {
            loggerFactory ??= services.GetService<ILoggerFactory>();
            var clock = timeProvider ?? services.GetService<TimeProvider>();
            return new RetryingChatClient(inner, options, loggerFactory?.CreateLogger<RetryingChatClient>(), clock);
        });
    }
}
