using Microsoft.Extensions.Logging;
using Srt;
using Srt.OpenAI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OpenAI critic with its Batch API mode.</summary>
public static class OpenAIBatchCriticExtensions
{
    /// <summary>
    /// Uses an OpenAI model as the critic, able to critique through the Batch API. Set
    /// <see cref="SelfRefinementOptions.CritiqueInBatches"/> for stage 1 to use it; other calls stay synchronous.
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="configure">Sets the model, key or endpoint, and further critic settings.</param>
    /// <param name="configureBatches">Changes the batch settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">The settings are invalid; checked here, not at first use.</exception>
    public static ISrtBuilder WithOpenAIBatchCritic(this ISrtBuilder builder, Action<OpenAICriticOptions> configure, Action<OpenAIBatchOptions>? configureBatches = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OpenAICriticOptions();
        configure(options);
        options.Validate();
        var batchOptions = new OpenAIBatchOptions();
        configureBatches?.Invoke(batchOptions);
        batchOptions.Validate();
        return builder.WithCritic(services =>
            new OpenAIBatchCritic(options, batchOptions, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>()));
    }
}
