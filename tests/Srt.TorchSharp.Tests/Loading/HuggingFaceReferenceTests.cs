using System.Text.Json;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

/// <summary>
/// Checkpoints written by Hugging Face transformers 5.17 (Fixtures/hf-tiny, see its SOURCE.md) load without renaming
/// and give the logits transformers computed for them.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class HuggingFaceReferenceTests
{
    internal static string FixtureFolder(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Srt.sln")))
        {
            directory = directory.Parent;
        }
        Assert.NotNull(directory);
        return Path.Combine(directory.FullName, "tests", "Srt.TorchSharp.Tests", "Fixtures", "hf-tiny", name);
    }

    private static (long[] Ids, double[] Logits) Expected(string folder, string field = "logits")
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "logits.json")));
        var ids = document.RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var logits = document.RootElement.GetProperty(field).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return (ids, logits);
    }

    private static double MaxDifference(LlamaForCausalLM model, long[] ids, double[] expected)
    {
        using var noGrad = no_grad();
        using var input = TinyLlama.Ids(ids);
        using var logits = model.Forward(input);
        var actual = logits.to(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        return actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
    }

    [Theory]
    [InlineData("llama-gqa")]
    [InlineData("llama3-rope-tied")]
    [InlineData("llama-linear-bias")]
    [InlineData("qwen2")]
    [InlineData("llama-bf16")]
    public void FromPretrained_TransformersCheckpoint_MatchesTransformersLogitsWithin1e4(string name)
    {
        var folder = FixtureFolder(name);
        using var model = LlamaForCausalLM.FromPretrained(folder);
        var (ids, expected) = Expected(folder);
        var difference = MaxDifference(model, ids, expected);
        Assert.True(difference < 1e-4, $"{name}: max |logit - transformers| = {difference}");
        Assert.True(expected.Max(Math.Abs) > 1, "reference logits too small to be a meaningful check");
    }

    [Fact]
    public void FromPretrained_Bfloat16_MatchesTransformersBfloat16Forward()
    {
        var folder = FixtureFolder("llama-bf16");
        using var model = LlamaForCausalLM.FromPretrained(folder, new ModelLoadOptions { DType = ScalarType.BFloat16 });
        var (ids, exact) = Expected(folder);
        var (_, transformersBf16) = Expected(folder, "native_dtype_logits");
        var fromExact = MaxDifference(model, ids, exact);
        var fromTransformers = MaxDifference(model, ids, transformersBf16);
        var transformersError = exact.Zip(transformersBf16, (a, b) => Math.Abs(a - b)).Max();
        // Measured: ours vs float64 0.090, transformers' bf16 vs float64 0.090, ours vs transformers' bf16 0.041
        // (2.6 bf16 steps at |logit| 2..4, where a step is 0.0156; CPU kernels differ between libtorch builds).
        Assert.True(fromTransformers < 0.08, $"bf16 vs transformers bf16: {fromTransformers}");
        Assert.True(fromExact < 0.2, $"bf16 vs float64: {fromExact} (transformers bf16: {transformersError})");
        Assert.True(fromExact < 2 * transformersError, $"ours {fromExact} vs transformers' own bf16 error {transformersError}");
    }

    [Fact]
    public void FromPretrained_Transformers5Config_ReadsRopeParametersAndKeepsThemOnSave()
    {
        var folder = FixtureFolder("llama3-rope-tied");
        using var model = LlamaForCausalLM.FromPretrained(folder);
        Assert.Equal(500000.0, model.Config.RopeTheta);
        Assert.Equal(RopeScaling.Llama3, model.Config.RopeScaling?.RopeType);
        Assert.Equal(16, model.Config.RopeScaling?.OriginalMaxPositionEmbeddings);
        Assert.True(model.Config.TieWordEmbeddings);

        using var copy = new TemporaryFolder();
        model.SavePretrained(copy.Path);
        var json = File.ReadAllText(copy.File("config.json"));
        Assert.Contains("\"rope_parameters\"", json);
        Assert.Contains("\"transformers_version\": \"5.17.0\"", json);
        using var reloaded = LlamaForCausalLM.FromPretrained(copy.Path);
        CheckpointRoundTripTests.AssertBitwiseEqual(model, reloaded);
        Assert.Equal(model.Config.RopeScaling, reloaded.Config.RopeScaling);
        Assert.Equal(model.Config.RopeTheta, reloaded.Config.RopeTheta);
    }
}
