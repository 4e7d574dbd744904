using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Srt.Samples.Hosting;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Samples;

public sealed class HostingSampleTests
{
    /// <summary>A slow critic that records each call it finished, keyed by what it was asked.</summary>
    private sealed class RecordingCritic : ICritic
    {
        public ConcurrentQueue<string> Finished { get; } = new();

        public async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
        {
            await Task.Delay(40, cancellationToken);
            var feedback = new Feedback("Weaknesses:\n- vague\nSuggestions:\n- be concrete\nOverall Score: [[4]]", ["vague"], ["be concrete"], request.IncludeImprovedResponse ? 4 : 7);
            Finished.Enqueue($"{request.Instruction}|{request.IncludeImprovedResponse}");
            return new Critique(feedback, request.IncludeImprovedResponse ? request.Response + " Concretely: because." : null, feedback.Text);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
    }

    private static IHost Build(string runDirectory, RecordingCritic critic)
    {
        var builder = HostingApp.CreateBuilder([$"--Srt:RunDirectory={runDirectory}", "--Srt:MaxConcurrentCriticCalls=1", "--Logging:LogLevel:Default=Warning"]);
        builder.Services.AddSrt().WithCritic(_ => critic);
        return builder.Build();
    }

    [Fact]
    public async Task Host_StoppedMidwayThenRestarted_ResumesWithoutRepeatingCriticCalls()
    {
        using var folder = new TemporaryRunFolder();
        var critic = new RecordingCritic();
        using (var first = Build(folder.Path, critic))
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

        int finishedBeforeStop = critic.Finished.Count;
        Assert.InRange(finishedBeforeStop, 4, 15);
        await Task.Delay(100);
        Assert.Equal(finishedBeforeStop, critic.Finished.Count);
        Assert.False(File.Exists(folder.File("stage1", "training.done.json")));

        using (var second = Build(folder.Path, critic))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            RunExitCode exitCode = second.Services.GetRequiredService<RunExitCode>();
            await second.RunAsync(timeout.Token);
            Assert.False(timeout.IsCancellationRequested, "The restarted host did not finish on its own.");
            Assert.Equal(0, exitCode.Value);
        }

        // 8 stage-1 items × (critique + separate refinement score), each made exactly once across both runs.
        Assert.Equal(16, critic.Finished.Count);
        Assert.Equal(16, critic.Finished.Distinct().Count());
        Assert.True(File.Exists(folder.File("stage1", "training.done.json")));
        Assert.Equal(8, folder.Lines("stage1", "examples.jsonl").Length);
        Assert.True(folder.Lines("stage2", "pairs.jsonl").Length > 0);
    }

    [Fact]
    public void CreateBuilder_BindsSrtSection_IntoLoopOptions()
    {
        var builder = HostingApp.CreateBuilder(["--Srt:RunDirectory=runs/x", "--Srt:Temperature=0.3", "--Srt:TieRule=KeepTies"]);
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SelfRefinementOptions>>().Value;

        Assert.Equal(("runs/x", 0.3f, StageTwoTieRule.KeepTies), (options.RunDirectory, options.Temperature, options.TieRule));
        Assert.Equal(8, options.MaxConcurrentCriticCalls);
    }
}
