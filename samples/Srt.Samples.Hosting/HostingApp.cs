using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Srt.Samples.Hosting;

/// <summary>Builds the sample's host; tests build it too and replace services before <c>Build()</c>.</summary>
public static class HostingApp
{
    /// <summary>Creates the host builder: configuration (appsettings.json, environment, command line), Srt, the loop service.</summary>
    /// <param name="args">Command-line arguments, such as <c>--Srt:RunDirectory=runs/x</c>.</param>
    /// <returns>The builder.</returns>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        IConfigurationSection srt = builder.Configuration.GetSection("Srt");
        builder.Services.Configure<SelfRefinementOptions>(srt);
        builder.Services.Configure<SampleDataOptions>(srt.GetSection("Data"));
        AddModel(builder.Services, srt);

        ISrtBuilder srtBuilder = builder.Services.AddSrt();

        string? endpoint = srt["Critic:Endpoint"];
        string? apiKey = builder.Configuration["OPENAI_API_KEY"];
        string model = string.IsNullOrWhiteSpace(srt["Critic:Model"]) ? "gpt-4-turbo" : srt["Critic:Model"]!;
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            // An OpenAI key is not sent to another server; the endpoint's own key, if any, is Srt:Critic:ApiKey.
            string? endpointKey = srt["Critic:ApiKey"];
            srtBuilder.WithOpenAICritic(model, new Uri(endpoint), string.IsNullOrWhiteSpace(endpointKey) ? null : endpointKey);
        }
        else if (!string.IsNullOrWhiteSpace(apiKey))
        {
            srtBuilder.WithOpenAICritic(model, apiKey);
        }
        else
        {
            srtBuilder.WithCritic(services =>
            {
                services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HostingApp)).LogWarning(
                    "No critic configured (Srt:Critic:Endpoint or OPENAI_API_KEY): using the rule-based stand-in critic. Scores are not a model's.");
                return new StandInCritic();
            });
        }

        AddTelemetry(builder);
        builder.Services.AddSingleton<RunExitCode>();
        builder.Services.AddHostedService<LoopService>();
        return builder;
    }

    // The policy and the trainer: one TorchSharp model, loaded once, that the trainer changes in place between the
    // loop's generation calls. Srt:Model:Path names a Hugging Face folder; without it, a tiny random model is written
    // on first run. Srt:Policy and Srt:Training:{Supervised,Preference} change the policy's and trainer's settings
    // (the trainer starts from the paper's).
    private static void AddModel(IServiceCollection services, IConfigurationSection srt)
    {
        IConfigurationSection modelSection = srt.GetSection("Model");
        services.Configure<SampleModelOptions>(modelSection);
        SampleModelOptions model = modelSection.Get<SampleModelOptions>() ?? new SampleModelOptions();
        bool tiny = string.IsNullOrWhiteSpace(model.Path);
        string folder = tiny ? model.TinyFolder : model.Path!;
        string? chatTemplate = model.ChatTemplate;
        if (tiny)
        {
            TinyModelFolder.EnsureExists(folder);
            chatTemplate = TinyModelFolder.ChatTemplateName;
        }

        services.AddTorchSharpModel(folder, options => options.ChatTemplateName = chatTemplate)
            .AddPolicy(options => srt.GetSection("Policy").Bind(options))
            .AddTrainer(
                supervised => srt.GetSection("Training:Supervised").Bind(supervised),
                preference => srt.GetSection("Training:Preference").Bind(preference));
    }

    // Srt's spans (stages, training runs, policy batches, critic calls) and metrics, to the console when
    // Telemetry:Console is true and to an OTLP collector when Telemetry:OtlpEndpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) is set.
    private static void AddTelemetry(HostApplicationBuilder builder)
    {
        IConfigurationSection telemetry = builder.Configuration.GetSection("Telemetry");
        bool console = telemetry.GetValue("Console", false);
        string? otlp = telemetry["OtlpEndpoint"];
        bool useOtlp = !string.IsNullOrWhiteSpace(otlp) || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!console && !useOtlp)
        {
            return;
        }

        void Otlp(OtlpExporterOptions options)
        {
            if (!string.IsNullOrWhiteSpace(otlp))
            {
                options.Endpoint = new Uri(otlp);
            }
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("Srt.Samples.Hosting"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(SrtTelemetry.SourceName);
                if (console)
                {
                    tracing.AddConsoleExporter();
                }

                if (useOtlp)
                {
                    tracing.AddOtlpExporter(Otlp);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SrtTelemetry.SourceName);
                if (console)
                {
                    metrics.AddConsoleExporter();
                }

                if (useOtlp)
                {
                    metrics.AddOtlpExporter(Otlp);
                }
            });
    }
}
