using System.Diagnostics;
using Srt.Testing;
using Xunit.Abstractions;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

/// <summary>
/// Kills a real child process mid-run (Srt.Tests.KillTarget: stage 1 with a slow critic) and resumes its run
/// directory in-process: no finished critic call may be repeated, and every item must end up done exactly once.
/// </summary>
public sealed class KillAndResumeTests(ITestOutputHelper output)
{
    private const int ItemCount = 60;
    private const int KillAfterCritiques = 8;

    [Fact]
    public async Task RunStageOne_ProcessKilledMidway_RerunRepeatsNoCriticCallAndLosesNoItem()
    {
        using var folder = new TemporaryRunFolder();
        string critiquesPath = folder.File("stage1", "critiques.jsonl");
        var childErrors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using (Process child = StartKillTarget(folder.Path, criticDelayMilliseconds: 150, concurrency: 4, childErrors))
        {
            try
            {
                var clock = Stopwatch.StartNew();
                while (CountLines(critiquesPath) < KillAfterCritiques)
                {
                    Assert.False(child.HasExited, $"The child exited early: {string.Join('\n', childErrors)}");
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "The child wrote too few critiques in 90 s.");
                    await Task.Delay(20);
                }
            }
            finally
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }
        }

        HashSet<string> critiquedBefore = IdsIn(critiquesPath);
        HashSet<string> scoredBefore = IdsIn(folder.File("stage1", "refinement-scores.jsonl"));
        HashSet<string> respondedBefore = IdsIn(folder.File("stage1", "responses.jsonl"));
        output.WriteLine($"On disk at the kill: {respondedBefore.Count} responses, {critiquedBefore.Count} critiques, {scoredBefore.Count} refinement scores of {ItemCount} items.");
        Assert.InRange(critiquedBefore.Count, KillAfterCritiques, ItemCount - 1);
        Assert.False(File.Exists(folder.File("stage1", "training.done.json")));

        var policy = new TestPolicyModel();
        var critic = new TestCritic();
        var trainer = new TestTrainer();
        var options = new SelfRefinementOptions { RunDirectory = folder.Path, MaxConcurrentCriticCalls = 4 };
        StageOneResult result = await new SelfRefinementLoop(policy, critic, trainer, options).RunStageOneAsync(LoopHarness.Items(ItemCount));

        var critiquedNow = critic.Requests.Where(request => request.IncludeImprovedResponse).Select(request => IdOf(request.Instruction)).ToList();
        var scoredNow = critic.Requests.Where(request => !request.IncludeImprovedResponse).Select(request => IdOf(request.Instruction)).ToList();
        Assert.Empty(critiquedNow.Intersect(critiquedBefore));
        Assert.Empty(scoredNow.Intersect(scoredBefore));
        Assert.Equal(ItemCount - critiquedBefore.Count, critiquedNow.Distinct().Count());
        Assert.Equal(critiquedNow.Count, critiquedNow.Distinct().Count());
        Assert.Equal(ItemCount - scoredBefore.Count, scoredNow.Count);
        Assert.Equal(ItemCount - respondedBefore.Count, policy.PromptCount);
        Assert.Equal(result.CriticCalls, critic.Requests.Count);

        // Every item done exactly once: one line per id in each file, and all of them trained.
        foreach (string file in new[] { "responses.jsonl", "critiques.jsonl", "refinement-scores.jsonl", "examples.jsonl" })
        {
            string[] ids = folder.Lines("stage1", file).Select(IdOfLine).ToArray();
            Assert.Equal(ItemCount, ids.Length);
            Assert.Equal(ItemCount, ids.Distinct().Count());
        }

        Assert.Equal(ItemCount, result.Kept);
        Assert.Equal(ItemCount, trainer.SupervisedRequests.Single().Examples.Count);
    }

    private static Process StartKillTarget(string runDirectory, int criticDelayMilliseconds, int concurrency, System.Collections.Concurrent.ConcurrentQueue<string> errors)
    {
        string target = Path.Combine(AppContext.BaseDirectory, "Srt.Tests.KillTarget.dll");
        Assert.True(File.Exists(target), $"{target} is missing; Srt.Tests references the KillTarget project to copy it here.");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "exec", target, runDirectory, ItemCount.ToString(System.Globalization.CultureInfo.InvariantCulture), criticDelayMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        Process child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the kill target.");
        child.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                errors.Enqueue(line.Data);
            }
        };
        child.BeginErrorReadLine();
        return child;
    }

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private static int CountLines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int count = 0;
        int value;
        while ((value = stream.ReadByte()) >= 0)
        {
            count += value == '\n' ? 1 : 0;
        }

        return count;
    }

    private static HashSet<string> IdsIn(string path)
    {
        using var store = new JsonlStore<IdOnly>(path);
        return store.ReadAll().Select(record => record.Id).ToHashSet(StringComparer.Ordinal);
    }

    private static string IdOfLine(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!;

    private static string IdOf(string instruction) =>
        $"item-{int.Parse(instruction["Instruction number ".Length..], System.Globalization.CultureInfo.InvariantCulture):D3}";

    private sealed record IdOnly(string Id);
}
