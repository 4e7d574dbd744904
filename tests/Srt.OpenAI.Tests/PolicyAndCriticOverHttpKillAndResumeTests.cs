using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Srt.Testing;
using Xunit.Abstractions;

namespace Srt.OpenAI.Tests;

/// <summary>
/// Stages 1 and 2 end to end over a real HTTP wire, killed with SIGKILL midway and resumed: a child process
/// (Srt.OpenAI.Tests.KillTarget) runs the loop with the policy and the critic both answered by the loopback server,
/// and loads the stage-1 adapter into it between the stages. The server holds stage-2 requests after a known number,
/// so the test knows exactly which requests completed before the kill.
/// </summary>
public sealed class PolicyAndCriticOverHttpKillAndResumeTests(ITestOutputHelper output) : IDisposable
{
    private const int StageOneItems = 12;
    private const int StageTwoItems = 20;
    private const int BatchSize = 4; // SelfRefinementOptions.GenerationBatchSize in the kill target
    private const int AnsweredBeforeKill = 8; // two whole stage-2 batches; the third is held in flight
    private const string StageTwoKind = "policy:policy-stage1";
    private readonly string _runDirectory = Directory.CreateTempSubdirectory("srt-kill-http-").FullName;

    public void Dispose() => Directory.Delete(_runDirectory, recursive: true);

    [Fact]
    public async Task StagesOneAndTwo_ChildKilledDuringStageTwo_ResumeSendsNoCompletedRequestAgainAndCountsMatchTheServerLog()
    {
        using var server = new LoopbackOpenAIServer();
        server.ServePolicy("policy-base", prompt => "Answer to: " + prompt);
        server.ServePolicy("policy-stage1", SelfRefinement, asAdapter: true);
        server.Hold(StageTwoKind, AnsweredBeforeKill);
        string trainerLog = Path.Combine(_runDirectory, "trainer-calls.txt");
        string outputsPath = Path.Combine(_runDirectory, "stage2", "outputs.jsonl");

        var errors = new ConcurrentQueue<string>();
        using (Process child = StartKillTarget(server.Endpoint, trainerLog, errors, out _))
        {
            try
            {
                var clock = Stopwatch.StartNew();
                while (CountLines(outputsPath) < AnsweredBeforeKill || server.Held < BatchSize)
                {
                    Assert.False(child.HasExited, $"The child exited early: {string.Join('\n', errors)}");
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "The child did not reach stage 2's held batch in 120 s.");
                    await Task.Delay(20);
                }
            }
            finally
            {
                child.Kill(entireProcessTree: true); // SIGKILL on Linux: no finally blocks, no flushing
                await child.WaitForExitAsync();
            }
        }

        server.DropHeld();
        ServedRequest[] beforeResume = server.LogSnapshot();
        output.WriteLine($"Answered before the kill: {string.Join(", ", beforeResume.GroupBy(r => r.Kind).Select(g => $"{g.Key} {g.Count()}"))}.");
        Assert.Equal(AnsweredBeforeKill, beforeResume.Count(r => r.Kind == StageTwoKind));
        Assert.Equal(AnsweredBeforeKill, CountLines(outputsPath));
        Assert.Equal(["supervised 12"], TrainingCalls(trainerLog));

        using Process resumed = StartKillTarget(server.Endpoint, trainerLog, errors, out var stdout);
        Assert.True(resumed.WaitForExit(TimeSpan.FromSeconds(120)), "The resumed run did not finish in 120 s.");
        await resumed.WaitForExitAsync();
        Assert.True(resumed.ExitCode == 0, $"The resumed run failed ({resumed.ExitCode}): {string.Join('\n', errors)}");
        using var summary = JsonDocument.Parse(stdout.ToString());
        JsonElement result = summary.RootElement;

        ServedRequest[] log = server.LogSnapshot();
        ServedRequest[] afterResume = log[beforeResume.Length..];

        // No completed request was sent twice: every answered prompt appears once per kind, over both processes.
        foreach (IGrouping<string, ServedRequest> kind in log.GroupBy(r => r.Kind))
        {
            Assert.Equal(kind.Count(), kind.Select(r => r.Prompt).Distinct(StringComparer.Ordinal).Count());
        }

        Assert.Equal(StageOneItems, log.Count(r => r.Kind == "policy:policy-base"));
        Assert.Equal(StageOneItems, log.Count(r => r.Kind == "critique"));
        Assert.Equal(StageOneItems, log.Count(r => r.Kind == "score"));
        Assert.Equal(StageTwoItems, log.Count(r => r.Kind == StageTwoKind));
        Assert.DoesNotContain(afterResume, r => r.Kind != StageTwoKind);

        // Nothing lost: every item done once, both stages trained once each over the two processes.
        Assert.Equal(StageTwoItems, CountLines(outputsPath));
        Assert.Equal(["supervised 12", "preference 20"], TrainingCalls(trainerLog));

        // The resumed process found stage 1's training done: the loop asked the trainer to restore that result (and only it).
        string[] restores = File.ReadAllLines(trainerLog).Where(line => line.StartsWith("restore ", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(restores);
        Assert.All(restores, line => Assert.Equal("restore stage1/adapter", line));
        Assert.Equal(0, result.GetProperty("stageOneGeneratedThisRun").GetInt32());
        Assert.Equal(0, result.GetProperty("stageOneCriticCalls").GetInt32());
        Assert.Equal(StageOneItems, result.GetProperty("stageOneKept").GetInt32());
        Assert.Equal(StageTwoItems - AnsweredBeforeKill, result.GetProperty("stageTwoGeneratedThisRun").GetInt32());
        Assert.Equal(StageTwoItems, result.GetProperty("stageTwoKept").GetInt32());
        Assert.Equal(0, result.GetProperty("stageOneFailed").GetInt32() + result.GetProperty("stageTwoFailed").GetInt32());

        // The adapter was loaded once; the rerun found it served from the same path and left it alone.
        Assert.Equal("AlreadyLoaded", result.GetProperty("adapter").GetString());
        Assert.Equal(
            [("/v1/load_lora_adapter", 200), ("/v1/load_lora_adapter", 400), ("/v1/models", 200)],
            server.AdapterCalls.Select(call => (call.Route, call.Status)));

        // Token counts: what the loop reports and stores equals what the server reported.
        Assert.Equal(afterResume.Sum(r => r.CompletionTokens), result.GetProperty("stageTwoCompletionTokens").GetInt64());
        (long prompt, long completion) stageOneStored = SumTokens(Path.Combine(_runDirectory, "stage1", "responses.jsonl"));
        (long prompt, long completion) stageTwoStored = SumTokens(outputsPath);
        Assert.Equal(Sum(log, "policy:policy-base"), stageOneStored);
        Assert.Equal(Sum(log, StageTwoKind), stageTwoStored);
        (long prompt, long completion) critiqueStored = SumUsage(Path.Combine(_runDirectory, "stage1", "critiques.jsonl"));
        (long prompt, long completion) scoreStored = SumUsage(Path.Combine(_runDirectory, "stage1", "refinement-scores.jsonl"));
        Assert.Equal(Sum(log, "critique"), critiqueStored);
        Assert.Equal(Sum(log, "score"), scoreStored);
        output.WriteLine($"Stage-1 policy tokens {stageOneStored}, stage-2 policy tokens {stageTwoStored}, critic requests {log.Count(r => r.Kind is "critique" or "score")}.");
    }

    private static string SelfRefinement(string prompt)
    {
        var feedback = new Feedback("Weaknesses:\n- Too short.\nSuggestions:\n- Add detail.\nOverall Score: [[4]]", ["Too short."], ["Add detail."], 4);
        return SelfRefinementFormat.Default.Format("First answer to " + prompt, feedback, "Better answer to " + prompt, 8);
    }

    private static string[] TrainingCalls(string trainerLog) =>
        File.ReadAllLines(trainerLog).Where(line => !line.StartsWith("restore ", StringComparison.Ordinal)).ToArray();

    private static (long Prompt, long Completion) Sum(IEnumerable<ServedRequest> log, string kind) =>
        (log.Where(r => r.Kind == kind).Sum(r => r.PromptTokens), log.Where(r => r.Kind == kind).Sum(r => r.CompletionTokens));

    private static (long Prompt, long Completion) SumTokens(string jsonlPath)
    {
        long prompt = 0, completion = 0;
        foreach (string line in File.ReadLines(jsonlPath).Where(line => line.Length > 0))
        {
            using var record = JsonDocument.Parse(line);
            prompt += record.RootElement.GetProperty("promptTokens").GetInt64();
            completion += record.RootElement.GetProperty("completionTokens").GetInt64();
        }

        return (prompt, completion);
    }

    private static (long Prompt, long Completion) SumUsage(string jsonlPath)
    {
        long prompt = 0, completion = 0;
        foreach (string line in File.ReadLines(jsonlPath).Where(line => line.Length > 0))
        {
            using var record = JsonDocument.Parse(line);
            JsonElement usage = record.RootElement.GetProperty("usage");
            prompt += usage.GetProperty("input").GetInt64();
            completion += usage.GetProperty("output").GetInt64();
        }

        return (prompt, completion);
    }

    private Process StartKillTarget(Uri endpoint, string trainerLog, ConcurrentQueue<string> errors, out System.Text.StringBuilder stdout)
    {
        string target = Path.Combine(AppContext.BaseDirectory, "Srt.OpenAI.Tests.KillTarget.dll");
        Assert.True(File.Exists(target), $"{target} is missing; Srt.OpenAI.Tests references the KillTarget project to copy it here.");
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[]
        {
            "exec", target, _runDirectory, endpoint.ToString(),
            StageOneItems.ToString(CultureInfo.InvariantCulture), StageTwoItems.ToString(CultureInfo.InvariantCulture), trainerLog,
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the kill target.");
        var text = new System.Text.StringBuilder();
        stdout = text;
        child.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                lock (text)
                {
                    text.AppendLine(line.Data);
                }
            }
        };
        child.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                errors.Enqueue(line.Data);
            }
        };
        child.BeginOutputReadLine();
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
}
