using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Srt.Evaluation;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="PairwiseJudge"/> with an Srt registration.</summary>
public static class PairwiseJudgeBuilderExtensions
{
    /// <summary>The service key under which <c>WithPairwiseJudge</c> looks up the judge's chat client by default.</summary>
    public const string DefaultJudgeChatClientKey = "srt-judge";

    /// <summary>
    /// Registers a <see cref="PairwiseJudge"/> singleton over the <see cref="IChatClient"/> registered under the key
    /// <see cref="DefaultJudgeChatClientKey"/> (<c>"srt-judge"</c>).
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="configure">Changes the judge's settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">The configured settings are invalid (checked here).</exception>
    public static ISrtBuilder WithPairwiseJudge(this ISrtBuilder builder, Action<PairwiseJudgeOptions>? configure = null) =>
        builder.WithPairwiseJudge(DefaultJudgeChatClientKey, configure);

    /// <summary>
    /// Registers a <see cref="PairwiseJudge"/> singleton over the <see cref="IChatClient"/> registered under
    /// <paramref name="serviceKey"/>, so the judge can be a different model than the critic.
    /// </summary>
    /// <param name="builder">The Srt builder.</param>
    /// <param name="serviceKey">The key of the judge's chat client; <see langword="null"/> uses the unkeyed one.</param>
    /// <param name="configure">Changes the judge's settings; may be <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">The configured settings are invalid (checked here).</exception>
    public static ISrtBuilder WithPairwiseJudge(this ISrtBuilder builder, object? serviceKey, Action<PairwiseJudgeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PairwiseJudgeOptions();
        configure?.Invoke(options);
        options.Validate();
        builder.Services.RemoveAll<PairwiseJudge>();
        builder.Services.AddSingleton(services =>
        {
            var chatClient = serviceKey is null
                ? services.GetRequiredService<IChatClient>()
                : services.GetRequiredKeyedService<IChatClient>(serviceKey);
            return new PairwiseJudge(chatClient, options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>());
        });
        return builder;
    }
}
