using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Srt.Testing;
using Xunit.Abstractions;

namespace Srt.OpenAI.Tests;

/// <summary>
/// Kills a real child process (Srt.Tests.KillTarget with the OpenAI critic over HTTP) the moment the loopback server
/// finishes a burst of answers, measures the time from each answer's last byte to its record in the run directory,
/// and resumes: an answer is paid again only if the kill landed inside that window.
/// </summary>
public sealed class KillAtTheEdgeTests(ITestOutputHelper output) : IDisposable
{
    private const int ItemCount = 48;
    private const int Concurrency = 8;

    private readonly string _runDirectory = Directory.CreateTempSubdirectory("srt-kill-edge-").FullName;

    public void Dispose() => Directory.Delete(_runDirectory, recursive: true);

    // 8: right after the first burst of answers (the first answers of a process pay the most first-use cost);
    // 40: mid-run, after a burst of scores and critiques.
    [Theory]
    [InlineData(8)]
    [InlineData(40)]
    public async Task RunStageOne_KilledAsAnswersArrive_RecordsLandWithinMillisecondsAndOnlyThoseInFlightArePaidAgain(int killAfterReplies)
    {
        string stage = Path.Combine(_runDirectory, "stage1");
        Directory.CreateDirectory(stage);
        var tail = new RecordTail(stage);
        using var watcher = new FileSystemWatcher(stage, "*.jsonl") { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName };
        watcher.Changed += (_, _) => tail.Read();
        watcher.Created += (_, _) => tail.Read();
        watcher.EnableRaisingEvents = true;

        using var server = new LoopbackOpenAIServer { ReplyDelay = TimeSpan.FromMilliseconds(150) };
        using Process child = StartKillTarget(server.Endpoint);
        var killedAt = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        int finished = 0;
        server.OnFinished = (_, _) =>
        {
            if (Interlocked.Increment(ref finished) == killAfterReplies)
            {
                // Right after an answer's last byte: the child is killed while the burst of answers is arriving.
                DateTimeOffset at = DateTimeOffset.UtcNow;
                child.Kill(entireProcessTree: true);
                killedAt.TrySetResult(at);
            }
        };

        await Task.WhenAny(killedAt.Task, child.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(120)));

        // The kill's own exit can be seen a moment before the kill is noted.
        await Task.WhenAny(killedAt.Task, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.True(killedAt.Task.IsCompleted, $"The child ended or stalled before {killAfterReplies} answers: {await child.StandardError.ReadToEndAsync()}");
        DateTimeOffset kill = await killedAt.Task;
        await child.WaitForExitAsync();
        server.OnFinished = null;
        await Task.Delay(200);
        watcher.EnableRaisingEvents = false;
        tail.Read();

        List<(string Key, DateTimeOffset At)> answered;
        lock (server.Finished)
        {
            answered = server.Finished.Where(f => f.At <= kill).Select(f => (Key(f.Kind, f.Instruction), f.At)).ToList();
        }

        var slowest = answered.Select((a, index) => (a.Key, Index: index, Ms: tail.SeenAt.TryGetValue(a.Key, out var seen) ? (seen - a.At).TotalMilliseconds : double.NaN))
            .Where(w => !double.IsNaN(w.Ms)).OrderByDescending(w => w.Ms).Take(5);
        output.WriteLine("Slowest: " + string.Join("; ", slowest.Select(w => string.Create(CultureInfo.InvariantCulture, $"answer #{w.Index + 1} {w.Key} {w.Ms:F1} ms"))));
        var windows = answered.Where(a => tail.SeenAt.ContainsKey(a.Key)).Select(a => (tail.SeenAt[a.Key] - a.At).TotalMilliseconds).Order().ToList();
        var lost = answered.Where(a => !tail.OnDisk.Contains(a.Key)).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Answers finished before the kill: {answered.Count}; on disk: {answered.Count - lost.Count}; lost at the kill: {lost.Count} " +
            $"(finished {string.Join(", ", lost.Select(l => $"{(kill - l.At).TotalMilliseconds:F1}"))} ms before it)."));
        output.WriteLine(windows.Count == 0 ? "No record was timed." : string.Create(CultureInfo.InvariantCulture,
            $"Last byte to record on disk over {windows.Count} answers: min {windows[0]:F1} ms, median {windows[windows.Count / 2]:F1} ms, " +
            $"p90 {windows[(int)(windows.Count * 0.9)]:F1} ms, max {windows[^1]:F1} ms; load average {File.ReadAllText("/proc/loadavg").Trim()}."));

        // Every answer that finished well before the kill is on disk: only the ones the kill caught in flight are lost.
        Assert.All(lost, l => Assert.True(kill - l.At < TimeSpan.FromSeconds(2), $"{l.Key} finished {(kill - l.At).TotalMilliseconds:F0} ms before the kill but is not on disk."));

        // The rerun pays again exactly for the lost answers, and for nothing that was on disk.
        int before;
        lock (server.Finished)
        {
            before = server.Finished.Count;
        }

        var options = new OpenAICriticOptions { Model = "critic-test", Endpoint = server.Endpoint, ApiKey = "kill-test" };
        server.ReplyDelay = TimeSpan.Zero;
        var result = await new SelfRefinementLoop(new TestPolicyModel(), OpenAICritic.Create(options), new NoTrainer(), new SelfRefinementOptions { RunDirectory = _runDirectory, MaxConcurrentCriticCalls = Concurrency })
            .RunStageOneAsync(Enumerable.Range(0, ItemCount).Select(i => new InstructionItem($"item-{i:D3}", $"Instruction number {i}")));
        HashSet<string> paidAgain;
        lock (server.Finished)
        {
            paidAgain = server.Finished.Skip(before).Select(f => Key(f.Kind, f.Instruction)).Intersect(answered.Select(a => a.Key)).ToHashSet();
        }

        Assert.Equal(lost.Select(l => l.Key).ToHashSet(), paidAgain);
        Assert.Equal(ItemCount, result.Kept);
    }

    private static string Key(string kind, string instruction) =>
        $"{kind}:item-{int.Parse(instruction["Instruction number ".Length..], CultureInfo.InvariantCulture):D3}";

    private Process StartKillTarget(Uri endpoint)
    {
        string target = Path.Combine(AppContext.BaseDirectory, "Srt.Tests.KillTarget.dll");
        Assert.True(File.Exists(target), $"{target} is missing; Srt.OpenAI.Tests references the KillTarget project to copy it here.");
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var start = new ProcessStartInfo(!string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "exec", target, _runDirectory, ItemCount.ToString(CultureInfo.InvariantCulture), "0", Concurrency.ToString(CultureInfo.InvariantCulture), endpoint.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the kill target.");
    }

    /// <summary>Reads new complete lines of the stage's critique and score files and notes when each record first appeared.</summary>
    private sealed class RecordTail(string folder)
    {
        private static readonly (string File, string Kind)[] Files = [("critiques.jsonl", "critique"), ("refinement-scores.jsonl", "score")];
        private readonly Lock _gate = new();
        private readonly Dictionary<string, long> _offsets = [];

        public ConcurrentDictionary<string, DateTimeOffset> SeenAt { get; } = new();

        public HashSet<string> OnDisk { get; } = [];

        public void Read()
        {
            lock (_gate)
            {
                DateTimeOffset now = DateTimeOffset.UtcNow;
                foreach ((string file, string kind) in Files)
                {
                    string path = Path.Combine(folder, file);
                    if (!File.Exists(path))
                    {
                        continue;
                    }

                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    long offset = _offsets.GetValueOrDefault(file);
                    stream.Seek(offset, SeekOrigin.Begin);
                    byte[] bytes = new byte[stream.Length - offset];
                    stream.ReadExactly(bytes);
                    int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
                    _offsets[file] = offset + end;
                    foreach (string line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        string key = $"{kind}:{JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()}";
                        OnDisk.Add(key);
                        SeenAt.TryAdd(key, now);
                    }
                }
            }
        }
    }

    private sealed class NoTrainer : ITrainer
    {
        public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new TrainingResult(1, 0.5));

        public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
    }
}
