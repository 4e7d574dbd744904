using System.Text.Json;
using Srt.Samples.OpenAI;
using Srt.Testing;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Generation;
using Xunit.Abstractions;

namespace Srt.TorchSharp.Tests.Samples;

[Collection(TorchSharpCollection.Name)]
public sealed class OpenAISampleTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "srt-openai-sample", Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _log;

    public OpenAISampleTests(ITestOutputHelper log)
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
    public async Task RunAsync_LoopbackServer_RunsBothStagesAndEvaluationThenResumesWithoutRequests()
    {
        (string modelFolder, string instructions) = WriteTinyModelAndInstructions();
        string run = Path.Combine(_folder, "run");
        string[] args =
        [
            "--model", modelFolder, "--instructions", instructions, "--run", run, "--critic-model", "test-critic",
            "--api-key-env", "LOCAL_SERVER_KEY", "--max-new-tokens", "8", "--epochs", "1", "--batch-size", "2", "--max-length", "256", "--threads", "1", "--seed", "3",
        ];
        using var server = new LoopbackOpenAIServer();
        var environment = (string name) => name == "LOCAL_SERVER_KEY" ? "test-key-for-loopback" : null;

        var output = new StringWriter();
        int exit = await SampleApp.RunAsync([.. args, "--endpoint", server.Endpoint.ToString()], environment, output);

        _log.WriteLine(output.ToString());
        Assert.True(exit == 0, output.ToString());
        using var usage = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "usage.json")));
        var counts = usage.RootElement;
        int critic = counts.GetProperty("CriticCalls").GetInt32() + counts.GetProperty("RefinerCalls").GetInt32();
        int judge = counts.GetProperty("JudgeCalls").GetInt32();
        Assert.Equal(server.Count("critique") + server.Count("score") + server.Count("refine"), critic);
        Assert.Equal(server.Count("judge"), judge);
        Assert.Equal(server.Total, counts.GetProperty("HttpRequests").GetInt64());
        Assert.Equal(0, counts.GetProperty("Retries").GetInt64());
        Assert.Equal(server.Total, server.Authorized("Bearer test-key-for-loopback"));
        long criticPromptTokens = server.Tokens.Where(t => t.Key != "judge").Sum(t => t.Value.Prompt);
        Assert.Equal(criticPromptTokens, counts.GetProperty("CriticInputTokens").GetInt64());
        Assert.Equal(server.Tokens["judge"].Completion, counts.GetProperty("JudgeOutputTokens").GetInt64());

        // Stage 1 on 3 items (critique + separate score each), one held-out item judged for up to 4 answer sets × 2 orders.
        Assert.Equal(3, server.Count("critique"));
        Assert.Equal(3, server.Count("score"));
        // Two identical answers are a tie without a call, so only the sets whose answer differs from the base's are judged.
        using var comparison = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval", "comparison.json")));
        var judgments = comparison.RootElement.GetProperty("rows").EnumerateArray()
            .Where(row => row.TryGetProperty("judge", out var judge) && judge.ValueKind == JsonValueKind.Object)
            .SelectMany(row => row.GetProperty("judge").GetProperty("judgments").EnumerateArray()).ToList();
        Assert.Equal(4, judgments.Count);
        Assert.Equal(2 * judgments.Count(j => !j.GetProperty("identicalAnswers").GetBoolean()), server.Count("judge"));
        Assert.True(File.Exists(Path.Combine(run, "stage1", "training.done.json")));
        string table = File.ReadAllText(Path.Combine(run, "eval", "comparison.md"));
        foreach (string row in (string[])["| base | direct |", "| stage1 | direct |", "| stage1 | self-refined |", "| stage2 | direct |", "| stage2 | self-refined |"])
        {
            Assert.Contains(row, table, StringComparison.Ordinal);
        }

        Assert.Contains("critic calls             6", output.ToString(), StringComparison.Ordinal);

        // The rerun loads the base model, the loop restores the stage-1 weights, and nothing is paid for or generated again.
        int before = server.Total;
        var rerunOutput = new StringWriter();
        Assert.Equal(0, await SampleApp.RunAsync([.. args, "--endpoint", server.Endpoint.ToString()], environment, rerunOutput));
        _log.WriteLine(rerunOutput.ToString());
        Assert.Equal(before, server.Total);
        foreach (string checkpoint in (string[])["base", "stage1", "stage2"])
        {
            Assert.Contains($"Evaluation answers of {checkpoint}: 0 generated now", rerunOutput.ToString(), StringComparison.Ordinal);
        }

        Assert.Contains("training already done", rerunOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("HTTP requests            0", rerunOutput.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WrongKey_StopsAtTheFirstCriticCallsExitsOneWithoutStackTraceAndRerunWithTheRightKeyFinishes()
    {
        (string modelFolder, string instructions) = WriteTinyModelAndInstructions();
        string run = Path.Combine(_folder, "run");
        using var server = new LoopbackOpenAIServer { RequiredKey = "right-key" };
        string[] args =
        [
            "--model", modelFolder, "--instructions", instructions, "--run", run, "--critic-model", "test-critic", "--endpoint", server.Endpoint.ToString(),
            "--api-key-env", "LOCAL_SERVER_KEY", "--max-new-tokens", "8", "--epochs", "1", "--batch-size", "2", "--max-length", "256", "--threads", "1", "--seed", "3",
        ];

        var output = new StringWriter();
        int exit = await SampleApp.RunAsync(args, name => name == "LOCAL_SERVER_KEY" ? "wrong-key" : null, output);

        _log.WriteLine(output.ToString());
        Assert.Equal(1, exit);
        Assert.Contains("error: The run stopped at the first critique call: the server rejected the credentials (HTTP 401). Check the API key setting", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output.ToString(), StringComparison.Ordinal);
        Assert.InRange(server.Unauthorized, 1, 3);
        Assert.Equal(0, server.Total);
        Assert.False(File.Exists(Path.Combine(run, "stage1", "failures.jsonl")));

        var verbose = new StringWriter();
        Assert.Equal(1, await SampleApp.RunAsync([.. args, "--verbose"], name => name == "LOCAL_SERVER_KEY" ? "wrong-key" : null, verbose));
        Assert.Contains("   at ", verbose.ToString(), StringComparison.Ordinal);

        var rerun = new StringWriter();
        Assert.Equal(0, await SampleApp.RunAsync(args, name => name == "LOCAL_SERVER_KEY" ? "right-key" : null, rerun));
        _log.WriteLine(rerun.ToString());
        Assert.Equal(3, server.Count("critique"));
        Assert.Equal(3, server.Count("score"));

        // The evaluation answers after the fix come from the trained stage-1 weights, not from the base model's run.
        string answers = Path.Combine(run, "eval", "answers");
        string[] baseLines = File.ReadAllLines(Path.Combine(answers, "base.direct.jsonl"));
        string[] stageOneLines = File.ReadAllLines(Path.Combine(answers, "stage1.direct.jsonl"));
        Assert.NotEqual(baseLines, stageOneLines);
        using var marker = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "stage1", "training.done.json")));
        string stageOneWeights = marker.RootElement.GetProperty("id").GetString()!;
        Assert.All(baseLines, line => Assert.Equal("base", WeightsOf(line)));
        Assert.NotEmpty(stageOneLines);
        Assert.All(stageOneLines, line => Assert.Equal(stageOneWeights, WeightsOf(line)));
    }

    /// <summary>Saves a tiny chat model with its tokenizer files and six instructions, as a user would have them on disk.</summary>
    private (string ModelFolder, string Instructions) WriteTinyModelAndInstructions()
    {
        string modelFolder = Path.Combine(_folder, "tiny-model");
        Directory.CreateDirectory(modelFolder);
        using (var model = LlamaForCausalLM.Create(TinyChatModel.Config(), seed: 5))
        {
            model.SavePretrained(modelFolder);
        }

        TinyChatModel.WriteTokenizerFiles(modelFolder);
        string instructions = Path.Combine(_folder, "instructions.jsonl");
        File.WriteAllLines(instructions, Enumerable.Range(1, 6).Select(i => $$"""{"id":"q{{i}}","instruction":"Question number {{i}}?"}"""));
        return (modelFolder, instructions);
    }

    private static string? WeightsOf(string line)
    {
        using var record = JsonDocument.Parse(line);
        return record.RootElement.GetProperty("weights").GetString();
    }

    [Fact]
    public async Task RunAsync_UnknownOption_ReturnsTwo()
    {
        var output = new StringWriter();

        int exit = await SampleApp.RunAsync(["--model", _folder, "--instructions", "i.jsonl", "--bogus", "1"], _ => "key", output);

        Assert.Equal(2, exit);
        Assert.Contains("Unknown option --bogus", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NoKeyAndNoEndpoint_ExplainsAndReturnsTwo()
    {
        var output = new StringWriter();
        string instructions = Path.Combine(_folder, "i.jsonl");
        File.WriteAllText(instructions, "{\"instruction\":\"x\"}\n");

        int exit = await SampleApp.RunAsync(["--model", _folder, "--instructions", instructions], _ => null, output);

        Assert.Equal(2, exit);
        Assert.Contains("OPENAI_API_KEY", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_KeyVariableNamedButUnset_ExplainsAndReturnsTwo()
    {
        var output = new StringWriter();
        string instructions = Path.Combine(_folder, "i.jsonl");
        File.WriteAllText(instructions, "{\"instruction\":\"x\"}\n");

        int exit = await SampleApp.RunAsync(["--model", _folder, "--instructions", instructions, "--endpoint", "http://127.0.0.1:9/v1", "--api-key-env", "MY_KEY"], _ => null, output);

        Assert.Equal(2, exit);
        Assert.Contains("Set MY_KEY for the endpoint", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MalformedInstructions_NamesFileAndLine()
    {
        var output = new StringWriter();
        string instructions = Path.Combine(_folder, "bad.jsonl");
        File.WriteAllText(instructions, "{\"instruction\":\"x\"}\n{oops\n");

        int exit = await SampleApp.RunAsync(["--model", _folder, "--instructions", instructions, "--endpoint", "http://127.0.0.1:9/v1"], _ => null, output);

        Assert.Equal(2, exit);
        Assert.Contains($"{instructions}(2): not valid JSON", output.ToString(), StringComparison.Ordinal);
    }
}
