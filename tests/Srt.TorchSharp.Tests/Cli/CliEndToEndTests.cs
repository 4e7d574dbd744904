using System.Text.Json;
using System.Text.RegularExpressions;
using Srt.Cli;
using Srt.Testing;
using Xunit.Abstractions;

namespace Srt.TorchSharp.Tests.Cli;

/// <summary>The srt commands run in-process, end to end, on a tiny model against a loopback OpenAI-compatible server.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class CliEndToEndTests : IDisposable
{
    private const string KeyVariable = "LOCAL_SERVER_KEY";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "srt-cli", Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _log;

    public CliEndToEndTests(ITestOutputHelper log)
    {
        _log = log;
        Directory.CreateDirectory(_folder);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    [Fact]
    public async Task RunEvalExport_LoopbackServer_TrainBothStagesJudgeDrawAndExportThenRerunsPayNothing()
    {
        (string model, string instructions) = CliFixture.WriteTinyModelAndInstructions(_folder);
        string evalSet = Path.Combine(_folder, "eval.jsonl");
        File.WriteAllText(evalSet, """{"id":"e1","instruction":"What is six times seven?","answer":"42"}""" + "\n");
        string run = Path.Combine(_folder, "run");
        using var server = new LoopbackOpenAIServer();
        string[] runArgs =
        [
            "run", "--model", model, "--instructions", instructions, "--eval-set", evalSet, "--run", run, "--critic-endpoint", server.Endpoint.ToString(),
            "--critic-model", "test-critic", "--critic-api-key-env", KeyVariable, "--max-new-tokens", "8", "--epochs", "1", "--batch-size", "2",
            "--max-length", "256", "--threads", "1", "--seed", "3",
        ];

        (int exit, string output) = await InvokeAsync(runArgs);

        Assert.True(exit == 0, output);
        Assert.Equal(3, server.Count("critique"));
        Assert.Equal(3, server.Count("score"));
        Assert.Equal(server.Total, server.Authorized("Bearer test-key-for-loopback"));
        Assert.Contains("critic calls             6 (+ 0 refiner calls)", output, StringComparison.Ordinal);
        Assert.Contains($"HTTP requests            {server.Total}", output, StringComparison.Ordinal);

        // Redirected output: one plain line per phase the display saw (fast phases may pass between two reports),
        // ending with each stage's completion; no terminal control sequences.
        Assert.Matches(new Regex(@"^stage 1: Completed\s+3/3 settled", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^stage 2: Completed\s+3/3 settled", RegexOptions.Multiline), output);
        Assert.DoesNotContain('\u001b', output);
        foreach (string checkpoint in (string[])["base", "stage1", "stage2"])
        {
            Assert.Contains($"Evaluation answers of {checkpoint}: ", output, StringComparison.Ordinal);
        }

        // The rerun restores the trained weights from the run directory and pays for nothing.
        int before = server.Total;
        (int rerunExit, string rerun) = await InvokeAsync(runArgs);
        Assert.Equal(0, rerunExit);
        Assert.Equal(before, server.Total);
        Assert.Contains("training already done", rerun, StringComparison.Ordinal);
        Assert.Contains("Evaluation answers of stage2: 0 generated now", rerun, StringComparison.Ordinal);
        Assert.Contains("HTTP requests            0", rerun, StringComparison.Ordinal);

        // eval: every answer set judged against base's direct answers (both orders), accuracy against "42", a chart.
        string chart = Path.Combine(_folder, "charts", "eval.png");
        string[] evalArgs =
        [
            "eval", "--run", run, "--eval-set", evalSet, "--judge-endpoint", server.Endpoint.ToString(), "--judge-model", "test-judge",
            "--judge-api-key-env", KeyVariable, "--chart", chart,
        ];
        (int evalExit, string evaluation) = await InvokeAsync(evalArgs);

        Assert.True(evalExit == 0, evaluation);
        foreach (string row in (string[])["| base | direct |", "| stage1 | direct |", "| stage1 | self-refined |", "| stage2 | direct |", "| stage2 | self-refined |"])
        {
            Assert.Contains(row, evaluation, StringComparison.Ordinal);
        }

        using (var comparison = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval", "comparison.json"))))
        {
            var judgments = comparison.RootElement.GetProperty("rows").EnumerateArray()
                .Where(row => row.TryGetProperty("judge", out var judge) && judge.ValueKind == JsonValueKind.Object)
                .SelectMany(row => row.GetProperty("judge").GetProperty("judgments").EnumerateArray()).ToList();
            Assert.Equal(4, judgments.Count);
            int judgeCalls = 2 * judgments.Count(j => !j.GetProperty("identicalAnswers").GetBoolean());
            Assert.Equal(judgeCalls, server.Count("judge"));
            Assert.Contains($"judge calls              {judgeCalls}", evaluation, StringComparison.Ordinal);
        }

        Assert.Matches(new Regex(@"\| base \| direct \|.*\| 0\.0% \(0/1\) \|"), evaluation);
        byte[] png = File.ReadAllBytes(chart);
        Assert.True(png.Length > 1000, $"chart is {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);

        // A second eval finds every judgment cached.
        int judged = server.Count("judge");
        Assert.Equal(0, (await InvokeAsync(evalArgs)).Exit);
        Assert.Equal(judged, server.Count("judge"));

        // export, with settings from a config file that the command line overrides (--out).
        string config = Path.Combine(_folder, "export.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object> { ["run"] = run, ["out"] = Path.Combine(_folder, "from-config"), ["model"] = "org/base-model", ["gpus"] = 2 }));
        string trl = Path.Combine(_folder, "trl");
        (int exportExit, string export) = await InvokeAsync(["export", "--config", config, "--out", trl]);

        Assert.True(exportExit == 0, export);
        Assert.False(Directory.Exists(Path.Combine(_folder, "from-config")));
        int examples = File.ReadAllLines(Path.Combine(trl, "stage1", "train.jsonl")).Length;
        Assert.Contains($"stage 1 (SFT): {examples} examples in {Path.Combine(trl, "stage1")}", export, StringComparison.Ordinal);
        Assert.Contains("model_name_or_path: \"org/base-model\"", File.ReadAllText(Path.Combine(trl, "stage1", "sft.yaml")), StringComparison.Ordinal);
        Assert.Contains("num_processes: 2", File.ReadAllText(Path.Combine(trl, "stage1", "accelerate.yaml")), StringComparison.Ordinal);
        Assert.Contains("model_name_or_path: \"../stage1/output\"", File.ReadAllText(Path.Combine(trl, "stage2", "dpo.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WrongKey_StopsAtTheFirstCriticCallExitsOneWithoutStackTraceAndRerunWithTheRightKeyFinishes()
    {
        (string model, string instructions) = CliFixture.WriteTinyModelAndInstructions(_folder);
        string run = Path.Combine(_folder, "run");
        using var server = new LoopbackOpenAIServer { RequiredKey = "right-key" };
        string[] args =
        [
            "run", "--model", model, "--instructions", instructions, "--run", run, "--critic-model", "test-critic", "--critic-endpoint", server.Endpoint.ToString(),
            "--critic-api-key-env", KeyVariable, "--max-new-tokens", "8", "--epochs", "1", "--batch-size", "2", "--max-length", "256", "--threads", "1", "--seed", "3",
        ];

        (int exit, string output) = await InvokeAsync(args, key: "wrong-key");

        Assert.Equal(1, exit);
        Assert.Contains("error: The run stopped at the first critique call: the server rejected the credentials (HTTP 401). Check the API key setting", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key", output, StringComparison.Ordinal);
        Assert.InRange(server.Unauthorized, 1, 3);
        Assert.Equal(0, server.Total);

        (int verboseExit, string verbose) = await InvokeAsync([.. args, "--verbose"], key: "wrong-key");
        Assert.Equal(1, verboseExit);
        Assert.Contains("   at ", verbose, StringComparison.Ordinal);

        (int rerunExit, string rerun) = await InvokeAsync(args, key: "right-key");
        Assert.True(rerunExit == 0, rerun);
        Assert.Equal(3, server.Count("critique"));
        Assert.Equal(3, server.Count("score"));
    }

    private async Task<(int Exit, string Output)> InvokeAsync(string[] args, string key = "test-key-for-loopback")
    {
        var output = new StringWriter();
        int exit = await SrtCli.InvokeAsync(args, new CliHost(output, name => name == KeyVariable ? key : null, IsOutputRedirected: true));
        _log.WriteLine($"$ srt {string.Join(' ', args)}\n{output}\n(exit {exit})");
        return (exit, output.ToString());
    }
}
