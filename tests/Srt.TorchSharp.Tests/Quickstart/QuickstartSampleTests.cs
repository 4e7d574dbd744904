using System.Text.Json.Nodes;
using Srt.Samples.Quickstart;

namespace Srt.TorchSharp.Tests.Quickstart;

/// <summary>
/// Runs the quickstart sample's <c>--quick</c> mode end to end (pretraining, both stages, the ablation, evaluation)
/// in a temporary run directory, as CI's smoke test: it must complete and write its results, whatever the
/// accuracies of a model this small; then a rerun must resume from the run directory instead of training again.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class QuickstartSampleTests : IDisposable
{
    private readonly string _runDirectory = Path.Combine(Path.GetTempPath(), "srt-quickstart-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task QuickMode_FreshRunDirectory_CompletesWritesResultsAndResumes()
    {
        int exitCode = await QuickstartApp.RunAsync(["--quick", "--fresh", "--seed", "7", "--run-dir", _runDirectory]);

        Assert.Equal(0, exitCode);
        JsonObject results = ReadResults();
        Assert.Equal("quick", (string?)results["settings"]);
        Assert.Equal(7, (int?)results["seed"]);
        JsonObject models = results["models"]!.AsObject();
        Assert.Equal(["base", "stage1", "ablation", "stage2"], models.Select(model => model.Key));
        foreach (var (_, model) in models)
        {
            Assert.Equal(QuickstartSettings.Quick.HeldOutItems, (int?)model!["held_out"]);
            Assert.InRange((double)model["direct_accuracy"]!, 0, 1);
            Assert.InRange((double)model["self_refined_accuracy"]!, 0, 1);
        }

        // Stage 1 went through the critic and the trainer: critiques kept as training sequences, steps taken.
        Assert.Equal(QuickstartSettings.Quick.StageOneItems, (int?)results["stage1"]!["Total"]);
        Assert.True((int?)results["stage1"]!["Kept"] > 0);
        Assert.True((int?)results["stage1"]!["Training"]!["Steps"] > 0);
        Assert.Equal(QuickstartSettings.Quick.StageTwoItems, (int?)results["stage2"]!["Total"]);
        foreach (string model in new[] { "base", "stage1", "ablation", "stage2" })
        {
            Assert.True(File.Exists(Path.Combine(_runDirectory, "models", model, "model.safetensors")), $"models/{model} was not saved");
        }

        Assert.True(File.Exists(Path.Combine(_runDirectory, "srt", "stage1", "critiques.jsonl")));
        Assert.True(File.Exists(Path.Combine(_runDirectory, "models", "base-training", "metrics.jsonl")));
        byte[] chart = File.ReadAllBytes(Path.Combine(_runDirectory, "results.png"));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, chart[..8]);

        // A rerun finds every step done: same numbers, no training.
        int rerunExitCode = await QuickstartApp.RunAsync(["--quick", "--seed", "7", "--run-dir", _runDirectory]);

        Assert.Equal(0, rerunExitCode);
        JsonObject rerun = ReadResults();
        Assert.Equal(models.ToJsonString(), rerun["models"]!.ToJsonString());
        Assert.True((bool?)rerun["stage1"]!["TrainingResumed"]);
        Assert.Equal(0, (int?)rerun["stage1"]!["GeneratedThisRun"]);
        Assert.Equal(0, (int?)rerun["stage1"]!["CriticCalls"]);
    }

    [Fact]
    public async Task Run_OtherSeedInSameRunDirectory_RefusesWithExitCode2()
    {
        Directory.CreateDirectory(_runDirectory);
        await File.WriteAllTextAsync(Path.Combine(_runDirectory, "quickstart.json"), """{"Settings":"quick","Seed":1}""");

        int exitCode = await QuickstartApp.RunAsync(["--quick", "--seed", "2", "--run-dir", _runDirectory]);

        Assert.Equal(2, exitCode);
        Assert.False(Directory.Exists(Path.Combine(_runDirectory, "models")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_DamagedRunDirectory_ExitsOneWithAMessageAndAStackTraceOnlyWhenVerbose(bool verbose)
    {
        Directory.CreateDirectory(_runDirectory);
        await File.WriteAllTextAsync(Path.Combine(_runDirectory, "quickstart.json"), "{ damaged");
        var errors = new StringWriter();
        TextWriter original = Console.Error;
        Console.SetError(errors);
        int exitCode;
        try
        {
            exitCode = await QuickstartApp.RunAsync(verbose ? ["--quick", "--run-dir", _runDirectory, "--verbose"] : ["--quick", "--run-dir", _runDirectory]);
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error: ", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(_runDirectory), errors.ToString(), StringComparison.Ordinal);
        Assert.Equal(verbose, errors.ToString().Contains("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_UnknownArgument_ExitsTwo()
    {
        TextWriter original = Console.Error;
        Console.SetError(TextWriter.Null);
        try
        {
            Assert.Equal(2, await QuickstartApp.RunAsync(["--bogus"]));
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [Theory]
    [InlineData("--seed")]
    [InlineData("--seed", "x")]
    [InlineData("--bogus")]
    public void Parse_BadArguments_ThrowsNamingTheProblem(params string[] args)
    {
        var exception = Assert.Throws<ArgumentException>(() => QuickstartArguments.Parse(args));

        Assert.Contains(args[^1] == "x" ? "'x'" : args[0], exception.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_runDirectory))
        {
            Directory.Delete(_runDirectory, recursive: true);
        }
    }

    private JsonObject ReadResults() => JsonNode.Parse(File.ReadAllText(Path.Combine(_runDirectory, "results.json")))!.AsObject();
}
