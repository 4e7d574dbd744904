using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Srt;

/// <summary>
/// The name of Srt's <see cref="ActivitySource"/> and <see cref="Meter"/>: subscribe to it to trace stages, critic calls
/// and training runs, and to collect the loop's metrics, for example with OpenTelemetry's
/// <c>AddSource(SrtTelemetry.SourceName)</c> and <c>AddMeter(SrtTelemetry.SourceName)</c>.
/// </summary>
/// <remarks>
/// <para>Spans: <c>srt.stage</c> per stage run, <c>srt.training</c> per training run, <c>srt.generation</c> per policy
/// batch, and one span per critic call from Microsoft.Extensions.AI's <c>OpenTelemetryChatClient</c> (GenAI semantic
/// conventions: <c>chat {model}</c>), which <see cref="ChatClientCritic"/> adds under this source name unless its chat
/// client already has one.</para>
/// <para>Metrics: <c>srt.items.settled</c> and <c>srt.items.filtered</c> (items, by <c>srt.stage</c> and
/// <c>srt.outcome</c>), <c>srt.critic.tokens</c> (by <c>gen_ai.token.type</c>), <c>srt.training.loss</c>,
/// <c>srt.training.throughput</c> (trained tokens/s) and <c>srt.generation.throughput</c> (generated tokens/s).</para>
/// <para>Nothing is recorded when nobody listens. No prompt, answer or critique text is ever put on a span.</para>
/// </remarks>
public static class SrtTelemetry
{
    /// <summary>The name of Srt's activity source and meter.</summary>
    public const string SourceName = "Srt";

    internal static readonly ActivitySource Source = new(SourceName, typeof(SrtTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Meter Meter = new(SourceName, typeof(SrtTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> ItemsSettled =
        Meter.CreateCounter<long>("srt.items.settled", "{item}", "Items settled in a stage, by outcome.");

    internal static readonly Counter<long> ItemsFiltered =
        Meter.CreateCounter<long>("srt.items.filtered", "{item}", "Items a stage's filters set aside (neither kept nor failed), by outcome.");

    internal static readonly Counter<long> CriticTokens =
        Meter.CreateCounter<long>("srt.critic.tokens", "{token}", "Tokens of critic, refiner and refinement-scoring calls, by gen_ai.token.type.");

    internal static readonly Histogram<double> TrainingLoss =
        Meter.CreateHistogram<double>("srt.training.loss", null, "The mean loss of each optimizer step.");

    internal static readonly Histogram<double> TrainingThroughput =
        Meter.CreateHistogram<double>("srt.training.throughput", "{token}/s", "Trained tokens per second of each optimizer step.");

    internal static readonly Histogram<double> GenerationThroughput =
        Meter.CreateHistogram<double>("srt.generation.throughput", "{token}/s", "Generated tokens per second of each policy batch.");

    internal const string StageTag = "srt.stage";

    /// <summary>The tag naming a self-improvement round's activity (absent for stages 1 and 2).</summary>
    internal const string RoundTag = "srt.round";

    internal const string OutcomeTag = "srt.outcome";

    internal static KeyValuePair<string, object?> Stage(int stage) => new(StageTag, stage);

    /// <summary>Records a settled item: every outcome counts as settled; those neither kept nor failed count as filtered.</summary>
    internal static void Settled(int stage, ItemOutcome outcome)
    {
        if (!ItemsSettled.Enabled && !ItemsFiltered.Enabled)
        {
            return;
        }

        var tags = new TagList { Stage(stage), { OutcomeTag, OutcomeName(outcome) } };
        ItemsSettled.Add(1, tags);
        if (outcome is not (ItemOutcome.Kept or ItemOutcome.Failed))
        {
            ItemsFiltered.Add(1, tags);
        }
    }

    internal static void Tokens(int stage, long input, long output)
    {
        if (!CriticTokens.Enabled)
        {
            return;
        }

        CriticTokens.Add(input, Stage(stage), new("gen_ai.token.type", "input"));
        CriticTokens.Add(output, Stage(stage), new("gen_ai.token.type", "output"));
    }

    internal static void TrainingStep(int stage, TrainingProgress step)
    {
        TrainingLoss.Record(step.Loss, Stage(stage));
        if (step.TokensPerSecond is double tokensPerSecond)
        {
            TrainingThroughput.Record(tokensPerSecond, Stage(stage));
        }
    }

    /// <summary>Marks a span as failed with the exception's type (never its message, which may quote model output).</summary>
    internal static void Failed(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity.SetTag("error.type", exception.GetType().FullName);
    }

    internal static string OutcomeName(ItemOutcome outcome) => outcome switch
    {
        ItemOutcome.Kept => "kept",
        ItemOutcome.Failed => "failed",
        ItemOutcome.Incomplete => "incomplete",
        ItemOutcome.RefinementUnscored => "refinement_unscored",
        ItemOutcome.RefinementWorse => "refinement_worse",
        ItemOutcome.Unformattable => "unformattable",
        ItemOutcome.Unparseable => "unparseable",
        ItemOutcome.NotImproved => "not_improved",
        ItemOutcome.Tie => "tie",
        _ => outcome.ToString(),
    };
}
