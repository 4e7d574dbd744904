using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Srt.Samples.Hosting;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp.Tests.Hosting;

/// <summary>The hosting sample with its real policy and trainer: one tiny random TorchSharp model the sample writes.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class HostingSampleTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A slow critic that records each call it finished, keyed by what it was asked.</summary>
    private sealed class RecordingCritic : ICritic
    {
        public ConcurrentQueue<string> Finished { get; } = new();

        /// <summary>Once this many calls have finished, further calls wait until they are cancelled (the host stops).</summary>
        public int? HoldAfter { get; set; }

        public async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
        {
            if (Finished.Count >= HoldAfter)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            await Task.Delay(40, cancellationToken);
            var feedback = new Feedback("Weaknesses:\n- vague\nSuggestions:\n- be concrete\nOverall Score: [[4]]", ["vague"], ["be concrete"], request.IncludeImprovedResponse ? 4 : 7);
            Finished.Enqueue($"{request.Instruction}|{request.IncludeImprovedResponse}");
            return new Critique(feedback, request.IncludeImprovedResponse ? request.Response + " Concretely: because." : null, feedback.Text);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
    }

    private string RunDirectory => Path.Combine(_folder.Path, "run");

    private string[] Arguments(params string[] more) =>
    [
        $"--Srt:RunDirectory={RunDirectory}",
        $"--Srt:Model:TinyFolder={Path.Combine(_folder.Path, "tiny-model")}",
        "--Srt:MaxConcurrentCriticCalls=1",
        "--Srt:MaxNewTokens=16",
        "--Srt:StageTwoMaxNewTokens=16",
        "--Srt:Training:Supervised:Epochs=1",
        "--Logging:LogLevel:Default=Warning",
        "--Telemetry:Console=false",
        .. more,
    ];

    private IHost Build(RecordingCritic critic)
    {
        var builder = HostingApp.CreateBuilder(Arguments());
        builder.Services.AddSrt().WithCritic(_ => critic);
        return builder.Build();
    }

    private string[] Lines(params string[] parts)
    {
        string file = Path.Combine([RunDirectory, .. parts]);
        return File.Exists(file) ? File.ReadAllLines(file).Where(line => line.Length > 0).ToArray() : [];
    }

    [Fact]
    public void Host_PolicyAndTrainer_AreTorchSharpOverTheOneTinyModel()
    {
        using var host = HostingApp.CreateBuilder(Arguments()).Build();

        var model = host.Services.GetRequiredService<CausalLanguageModel>();
        var policy = Assert.IsType<TorchSharpPolicyModel>(host.Services.GetRequiredService<IPolicyModel>());
        var trainer = Assert.IsType<TorchSharpTrainer>(host.Services.GetRequiredService<ITrainer>());

        Assert.Same(model, policy.Model);
        Assert.Same(model.Model, trainer.Model);
        Assert.Equal((259, 64, 2), (model.Model.Config.VocabSize, model.Model.Config.HiddenSize, model.Model.Config.NumHiddenLayers));
        Assert.True(File.Exists(Path.Combine(_folder.Path, "tiny-model", "model.safetensors")));
        Assert.Equal(1, trainer.SupervisedOptions.Epochs);
        Assert.Equal(new PreferenceTrainerOptions().LearningRate, trainer.PreferenceOptions.LearningRate);
    }

    [Fact]
    public async Task Host_StoppedMidwayThenRestarted_ResumesWithoutRepeatingCriticCallsAndTrains()
    {
        var critic = new RecordingCritic { HoldAfter = 4 };
        using (var first = Build(critic))
        {
            await first.StartAsync();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (critic.Finished.Count < 4 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            await first.StopAsync();
            Assert.Equal(130, first.Services.GetRequiredService<RunExitCode>().Value);
        }

        // The critic held every call after the 4th until the stop cancelled it, so exactly 4 were paid before the stop.
        Assert.Equal(4, critic.Finished.Count);
        await Task.Delay(100);
        Assert.Equal(4, critic.Finished.Count);
        Assert.False(File.Exists(Path.Combine(RunDirectory, "stage1", "training.done.json")));

        critic.HoldAfter = null;
        using (var second = Build(critic))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            RunExitCode exitCode = second.Services.GetRequiredService<RunExitCode>();
            await second.RunAsync(timeout.Token);
            Assert.False(timeout.IsCancellationRequested, "The restarted host did not finish on its own.");
            Assert.Equal(0, exitCode.Value);
        }

        // Every stage-1 item whose response reached the critic (a random model sometimes ends at once; an empty response
        // is filtered before the critic) got one critique and one separate refinement score across both runs, none twice.
        string[] outcomes = Lines("stage1", "outcomes.jsonl");
        Assert.Equal(8, outcomes.Length);
        int critiqued = outcomes.Count(line => System.Text.Json.Nodes.JsonNode.Parse(line)!["responseScore"] is not null);
        Assert.InRange(critiqued, 4, 8);
        Assert.Equal(2 * critiqued, critic.Finished.Count);
        Assert.Equal(2 * critiqued, critic.Finished.Distinct().Count());
        Assert.Equal(critiqued, Lines("stage1", "examples.jsonl").Length);
        Assert.True(File.Exists(Path.Combine(RunDirectory, "stage1", "training.done.json")));

        // The real trainer ran: one epoch of 8 sequences is one step of the paper's batch of 32, and it saved it.
        string checkpoint = Path.Combine(RunDirectory, "stage1", "training", "checkpoint-1");
        Assert.True(File.Exists(Path.Combine(checkpoint, "model.safetensors")), $"no checkpoint at {checkpoint}");

        // Stage 2 settled every item; a random model does not write the self-refinement format, so no pair is kept.
        Assert.Equal(8, Lines("stage2", "outcomes.jsonl").Length);
    }

    [Fact]
    public void CreateBuilder_BindsSrtSection_IntoLoopOptions()
    {
        var builder = HostingApp.CreateBuilder(Arguments("--Srt:RunDirectory=runs/x", "--Srt:Temperature=0.3", "--Srt:TieRule=KeepTies"));
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SelfRefinementOptions>>().Value;

        Assert.Equal(("runs/x", 0.3f, StageTwoTieRule.KeepTies), (options.RunDirectory, options.Temperature, options.TieRule));
        Assert.Equal(1, options.MaxConcurrentCriticCalls);
    }

    [Fact]
    public void CreateBuilder_ModelPathThatDoesNotExist_FailsNamingIt()
    {
        string missing = Path.Combine(_folder.Path, "no-such-model");

        var error = Assert.Throws<DirectoryNotFoundException>(() => HostingApp.CreateBuilder(Arguments($"--Srt:Model:Path={missing}")));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void CreateBuilder_TelemetryConsole_RegistersSrtTracingAndMetrics(bool console, bool expected)
    {
        using var host = HostingApp.CreateBuilder(Arguments($"--Telemetry:Console={console}")).Build();

        Assert.Equal(expected, host.Services.GetService<TracerProvider>() is not null);
        Assert.Equal(expected, host.Services.GetService<MeterProvider>() is not null);
    }
}
