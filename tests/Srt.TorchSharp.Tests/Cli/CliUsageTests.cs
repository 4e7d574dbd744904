using Srt.Cli;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp.Tests.Cli;

/// <summary>Bad usage ends before any work with exit code 2 and a message naming the option, file, line or key.</summary>
public sealed class CliUsageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "srt-cli-usage", Guid.NewGuid().ToString("N"));

    public CliUsageTests() => Directory.CreateDirectory(_folder);

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
    public async Task Run_UnknownOption_ReturnsTwoWithoutStackTrace()
    {
        (int exit, string output) = await InvokeAsync("run", "--model", _folder, "--instructions", "i.jsonl", "--bogus", "1");

        Assert.Equal(2, exit);
        Assert.Contains("error: Unrecognized command or argument '--bogus'", output, StringComparison.Ordinal);
        Assert.Contains("Run 'srt run --help'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCommand_ReturnsTwo()
    {
        (int exit, _) = await InvokeAsync();

        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task Run_Help_ListsOptionsWithDefaultsAndReturnsZero()
    {
        (int exit, string output) = await InvokeAsync("run", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("--critic-endpoint <url>", output, StringComparison.Ordinal);
        Assert.Matches(@"--stage <1\|2\|both>\s+Which stages.*\[default: both\]", output);
        Assert.Matches(@"--epochs <epochs>\s+Stage-1 epochs.*\[default: 5\]", output);
        Assert.Contains("Usage:\n  srt run [options]", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingInstructionsFile_NamesTheFileAndReturnsTwo()
    {
        string missing = Path.Combine(_folder, "missing.jsonl");

        (int exit, string output) = await InvokeAsync("run", "--model", _folder, "--instructions", missing, "--critic-endpoint", "http://127.0.0.1:9/v1");

        Assert.Equal(2, exit);
        Assert.Contains($"--instructions: the file {missing} does not exist.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingRoundFile_NamesTheFileAndReturnsTwo()
    {
        string missing = Path.Combine(_folder, "round2.jsonl");

        (int exit, string output) = await InvokeAsync(
            "run", "--model", _folder, "--instructions", Instructions(2), "--rounds", Instructions(1), missing, "--critic-endpoint", "http://127.0.0.1:9/v1");

        Assert.Equal(2, exit);
        Assert.Contains($"--rounds: the file {missing} does not exist.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RoundsWithStageOneOnly_SaysRoundsFollowStageTwoAndReturnsTwo()
    {
        (int exit, string output) = await InvokeAsync(
            "run", "--model", _folder, "--instructions", Instructions(2), "--stage", "1", "--rounds", Instructions(1), "--critic-endpoint", "http://127.0.0.1:9/v1");

        Assert.Equal(2, exit);
        Assert.Contains("--rounds runs rounds after stage 2; with --stage 1 there is none.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MalformedInstructions_NamesFileAndLine()
    {
        string instructions = Path.Combine(_folder, "bad.jsonl");
        File.WriteAllText(instructions, "{\"instruction\":\"x\"}\n{oops\n");

        (int exit, string output) = await InvokeAsync("run", "--model", _folder, "--instructions", instructions, "--critic-endpoint", "http://127.0.0.1:9/v1");

        Assert.Equal(2, exit);
        Assert.Contains($"{instructions}(2): not valid JSON", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoKeyAndNoEndpoint_ExplainsAndReturnsTwo()
    {
        (int exit, string output) = await InvokeAsync("run", "--model", _folder, "--instructions", Instructions(2));

        Assert.Equal(2, exit);
        Assert.Contains("Set OPENAI_API_KEY for the OpenAI API", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KeyVariableNamedButUnset_ExplainsAndReturnsTwo()
    {
        (int exit, string output) = await InvokeAsync(
            "run", "--model", _folder, "--instructions", Instructions(2), "--critic-endpoint", "http://127.0.0.1:9/v1", "--critic-api-key-env", "MY_KEY");

        Assert.Equal(2, exit);
        Assert.Contains("Set MY_KEY for the critic endpoint", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigFileValue_IsUsedUnlessTheCommandLineGivesOne()
    {
        string fromConfig = Path.Combine(_folder, "model-from-config");
        string fromCommandLine = Path.Combine(_folder, "model-from-command-line");
        string config = Path.Combine(_folder, "srt.json");
        File.WriteAllText(config, $$"""{ "model": "{{fromConfig}}", "instructions": "{{Instructions(2)}}", "epochs": 1 }""");

        (int configExit, string configOutput) = await InvokeAsync("run", "--config", config);
        (int overrideExit, string overrideOutput) = await InvokeAsync("run", "--config", config, "--model", fromCommandLine);

        Assert.Equal(2, configExit);
        Assert.Contains($"--model: the folder {fromConfig} does not exist.", configOutput, StringComparison.Ordinal);
        Assert.Equal(2, overrideExit);
        Assert.Contains($"--model: the folder {fromCommandLine} does not exist.", overrideOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigWithUnknownKey_NamesTheFileAndTheKey()
    {
        string config = Path.Combine(_folder, "srt.json");
        File.WriteAllText(config, """{ "epochz": 1 }""");

        (int exit, string output) = await InvokeAsync("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"{config}: \"epochz\" is not an option of 'srt run'.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigValueOfTheWrongKind_NamesTheFileAndTheKey()
    {
        string config = Path.Combine(_folder, "srt.json");
        File.WriteAllText(config, """{ "epochs": "five" }""");

        (int exit, string output) = await InvokeAsync("run", "--config", config, "--model", _folder, "--instructions", Instructions(2));

        Assert.Equal(2, exit);
        Assert.Contains($"{config}: \"epochs\" must be a whole number, not \"five\".", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingConfigFile_NamesItAndReturnsTwo()
    {
        string config = Path.Combine(_folder, "nowhere.json");

        (int exit, string output) = await InvokeAsync("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"The --config file {config} does not exist.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_ChartNotPng_ReturnsTwo()
    {
        string evalSet = Instructions(1);

        (int exit, string output) = await InvokeAsync("eval", "--run", _folder, "--eval-set", evalSet, "--no-judge", "--chart", Path.Combine(_folder, "chart.svg"));

        Assert.Equal(2, exit);
        Assert.Contains("must name a .png file", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_NoAnswersInTheRunDirectory_FailsWithOneAndSaysWhatToRun()
    {
        (int exit, string output) = await InvokeAsync("eval", "--run", _folder, "--eval-set", Instructions(1), "--no-judge");

        Assert.Equal(1, exit);
        Assert.Contains("holds no evaluation answers: run 'srt run --eval-set <file>' first", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_NothingSettled_FailsWithOneNamingTheMissingFile()
    {
        (int exit, string output) = await InvokeAsync("export", "--run", _folder, "--model", "org/model", "--out", Path.Combine(_folder, "trl"), "--stage", "1");

        Assert.Equal(1, exit);
        Assert.Contains($"{Path.Combine(_folder, "stage1", "examples.jsonl")} does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_WithoutModel_ReturnsTwo()
    {
        (int exit, string output) = await InvokeAsync("export", "--run", _folder);

        Assert.Equal(2, exit);
        Assert.Contains("--model is required (on the command line or in the --config file).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_ModelConfig_PrintsTheTrainersPlanAndCheckpointingLowersIt()
    {
        File.WriteAllText(Path.Combine(_folder, "config.json"), """
            {"model_type": "llama", "vocab_size": 32000, "hidden_size": 768, "intermediate_size": 2048,
             "num_hidden_layers": 12, "num_attention_heads": 12, "num_key_value_heads": 4, "tie_word_embeddings": true}
            """);
        var config = LlamaConfig.Load(Path.Combine(_folder, "config.json"));
        var options = new PreferenceTrainerOptions();
        options.GlobalBatchSize = 4;
        options.MicroBatchSize = 1;
        options.MaxSequenceLength = 4096;
        var expected = TrainingMemoryPlan.Estimate(config, options, 4096);

        (int exit, string output) = await InvokeAsync(
            "plan", "--model", _folder, "--stage", "2", "--batch-size", "4", "--micro-batch-size", "1", "--max-length", "4096");
        (int offExit, string offOutput) = await InvokeAsync(
            "plan", "--model", _folder, "--stage", "2", "--batch-size", "4", "--micro-batch-size", "1", "--max-length", "4096",
            "--no-gradient-checkpointing");

        Assert.Equal(0, exit);
        Assert.Equal(0, offExit);
        Assert.Contains("DPO, Float32 on CPU, 2 rows x 4096 tokens per pass, full fine-tuning, checkpointing on", output, StringComparison.Ordinal);
        Assert.Contains($"estimated peak{TrainingMemoryPlan.FormatBytes(expected.PeakBytes),20}", output, StringComparison.Ordinal);
        Assert.Contains("checkpointing off", offOutput, StringComparison.Ordinal);
        Assert.True(PeakGiB(offOutput) > PeakGiB(output) + 1, $"checkpointing on: {PeakGiB(output)} GiB, off: {PeakGiB(offOutput)} GiB");
    }

    private static double PeakGiB(string output)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output, @"estimated peak\s+([0-9.]+) GiB");
        Assert.True(match.Success, output);
        return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private string Instructions(int count)
    {
        string path = Path.Combine(_folder, $"instructions-{count}.jsonl");
        File.WriteAllLines(path, Enumerable.Range(1, count).Select(i => $$"""{"id":"q{{i}}","instruction":"Question {{i}}?"}"""));
        return path;
    }

    private static async Task<(int Exit, string Output)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        int exit = await SrtCli.InvokeAsync(args, new CliHost(output, _ => null, IsOutputRedirected: true));
        return (exit, output.ToString());
    }
}
