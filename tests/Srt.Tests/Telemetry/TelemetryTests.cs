using System.Diagnostics;
using Microsoft.Extensions.AI;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Srt.Testing;
using Srt.Tests.Critics;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Telemetry;

/// <summary>Srt's source and meter are process-wide, so these tests run alone (no other test emits meanwhile).</summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests
{
    private const string Answer = "Weaknesses:\n- Wrong capital.\nSuggestions:\n- Say Paris.\nOverall Score: [[2]]\n\n### Improved Response\nParis.";

    [Fact]
    public async Task RunStageOne_Listened_EmitsStageTrainingAndGenerationSpansAndItemTokenAndLossMetrics()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(SrtTelemetry.SourceName).AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(SrtTelemetry.SourceName).AddInMemoryExporter(metrics).Build();
        using var harness = new LoopHarness();
        harness.Options.GenerationBatchSize = 2;
        harness.Policy.AnswerCallback = instruction => new PolicyCompletion($"Answer to: {instruction}", CompletionTokens: 5);
        // Items 0 and 1 are kept, 2 is refined into something worse (filtered), 3 has no refinement (incomplete).
        harness.Critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(
            !request.IncludeImprovedResponse ? ScriptedCritiques.ScoreOnly(request.Response.Contains("worse", StringComparison.Ordinal) ? 1 : 7)
            : request.Instruction.EndsWith(" 2", StringComparison.Ordinal) ? ScriptedCritiques.Complete(4, "worse", inputTokens: 100, outputTokens: 10)
            : request.Instruction.EndsWith(" 3", StringComparison.Ordinal) ? new Critique(ScriptedCritiques.Feedback(4), null, "raw") { Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10 } }
            : ScriptedCritiques.Complete(4, "better", inputTokens: 100, outputTokens: 10));

        StageOneResult result = await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(4));
        tracing.ForceFlush();
        meters.ForceFlush();

        Assert.Equal((2, 1, 1), (result.Kept, result.FilteredRefinementWorse, result.FilteredIncomplete));
        Activity stage = Assert.Single(spans, span => span.OperationName == "srt.stage");
        Assert.Equal((1, 4, 2), ((int)stage.GetTagItem("srt.stage")!, (int)stage.GetTagItem("srt.items.total")!, (int)stage.GetTagItem("srt.items.kept")!));
        Activity training = Assert.Single(spans, span => span.OperationName == "srt.training");
        Assert.Equal(stage.SpanId, training.ParentSpanId);
        Assert.Equal((2, 2), ((int)training.GetTagItem("srt.training.examples")!, (int)training.GetTagItem("srt.training.steps")!));
        var generation = spans.Where(span => span.OperationName == "srt.generation").ToList();
        Assert.Equal(2, generation.Count);
        Assert.All(generation, span => Assert.Equal((stage.SpanId, 10L), (span.ParentSpanId, (long)span.GetTagItem("srt.generation.tokens")!)));

        Assert.Equal(new Dictionary<string, long> { ["kept"] = 2, ["refinement_worse"] = 1, ["incomplete"] = 1 }, Sums(metrics, "srt.items.settled", "srt.outcome"));
        Assert.Equal(new Dictionary<string, long> { ["refinement_worse"] = 1, ["incomplete"] = 1 }, Sums(metrics, "srt.items.filtered", "srt.outcome"));
        Assert.Equal(new Dictionary<string, long> { ["input"] = result.InputTokens, ["output"] = result.OutputTokens }, Sums(metrics, "srt.critic.tokens", "gen_ai.token.type"));
        Assert.Equal(400, result.InputTokens);
        Assert.Equal((2L, 2.5), HistogramCountAndSum(metrics, "srt.training.loss"));
        Assert.Equal(2L, HistogramCountAndSum(metrics, "srt.generation.throughput").Count);
    }

    [Fact]
    public async Task Critique_ChatClientCritic_EmitsOneGenAiSpanPerCallWithoutMessageText()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(SrtTelemetry.SourceName).AddInMemoryExporter(spans).Build();
        var chat = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer(Answer, usage: new UsageDetails { InputTokenCount = 120, OutputTokenCount = 40 })) };
        var critic = new ChatClientCritic(chat, new ChatClientCriticOptions { ModelId = "gpt-4-turbo" });

        await critic.CritiqueAsync(new CritiqueRequest("Capital of France?", "Lyon."));
        await critic.CritiqueAsync(new CritiqueRequest("Capital of Spain?", "Porto."));
        tracing.ForceFlush();

        Assert.Equal(2, spans.Count);
        Assert.All(spans, span =>
        {
            Assert.Equal("chat gpt-4-turbo", span.DisplayName);
            Assert.Equal("gpt-4-turbo", span.GetTagItem("gen_ai.request.model"));
            Assert.Equal(120, Convert.ToInt32(span.GetTagItem("gen_ai.usage.input_tokens"), System.Globalization.CultureInfo.InvariantCulture));
            Assert.DoesNotContain(span.TagObjects, tag => tag.Value is string text && (text.Contains("Capital", StringComparison.Ordinal) || text.Contains("Paris", StringComparison.Ordinal)));
        });
    }

    [Fact]
    public void ChatClientCritic_ClientAlreadyTraced_AddsNoSecondTracer()
    {
        var chat = new TestChatClient();
        var traced = chat.AsBuilder().UseOpenTelemetry(sourceName: "MyApp").Build();

        var critic = new ChatClientCritic(traced);

        Assert.Same(traced.GetService<OpenTelemetryChatClient>(), critic.ChatClient.GetService<OpenTelemetryChatClient>());
    }

    private static Dictionary<string, long> Sums(List<Metric> metrics, string name, string tag)
    {
        var sums = new Dictionary<string, long>();
        foreach (var metric in metrics.Where(metric => metric.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                string key = string.Empty;
                foreach (var pair in point.Tags)
                {
                    if (pair.Key == tag)
                    {
                        key = (string)pair.Value!;
                    }
                }

                sums[key] = sums.GetValueOrDefault(key) + point.GetSumLong();
            }
        }

        return sums;
    }

    private static (long Count, double Sum) HistogramCountAndSum(List<Metric> metrics, string name)
    {
        (long count, double sum) = (0, 0);
        foreach (var metric in metrics.Where(metric => metric.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                count += point.GetHistogramCount();
                sum += point.GetHistogramSum();
            }
        }

        return (count, sum);
    }
}
