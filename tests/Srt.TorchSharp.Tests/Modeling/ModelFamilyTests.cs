using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>Qwen3, OLMo 2, SmolLM3 and Phi-3 against the independent double-precision <see cref="ReferenceDecoder"/>.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class ModelFamilyTests
{
    private static readonly long[] Ids = [5, 17, 3, 250, 40, 8, 22, 161, 0, 13, 77, 30];

    public static TheoryData<string> Variants => TinyFamilies.Variants;

    public static TheoryData<string, PlantedBug> PlantedBugs => new()
    {
        { "qwen3", PlantedBug.SkipQueryKeyNorm },
        { "qwen3", PlantedBug.QueryKeyNormAfterRotary },
        { "olmo2", PlantedBug.SkipQueryKeyNorm },
        { "olmo2", PlantedBug.PreNormInsteadOfPostNorm },
        { "smollm3", PlantedBug.RotaryOnNoRopeLayers },
        { "smollm3", PlantedBug.NoRopeFlagsInverted },
        { "smollm3-list", PlantedBug.RotaryOnNoRopeLayers },
        { "phi3", PlantedBug.SwapKeyValueSplit },
        { "phi3", PlantedBug.SwapGateUp },
        { "phi3", PlantedBug.FullRotaryInsteadOfPartial },
    };

    /// <summary>Largest |model − reference| over every position and vocabulary entry, and the tolerance 1e-4 × max|logit|.</summary>
    private static (double Worst, double Tolerance) Compare(LlamaForCausalLM model, PlantedBug bug)
    {
        using var noGrad = no_grad();
        using var input = TinyLlama.Ids(Ids);
        using var logits = model.Forward(input);
        var expected = ReferenceDecoder.Logits(model, Ids, bug);
        var actual = logits.to(ScalarType.Float64).data<double>().ToArray();
        var vocabulary = model.Config.VocabSize;
        var worst = 0.0;
        for (var t = 0; t < Ids.Length; t++)
        {
            for (var v = 0; v < vocabulary; v++)
            {
                worst = Math.Max(worst, Math.Abs(actual[t * vocabulary + v] - expected[t, v]));
            }
        }

        return (worst, 1e-4 * expected.Cast<double>().Max(Math.Abs));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Forward_EveryPosition_MatchesDoublePrecisionReference(string variant)
    {
        using var model = TinyFamilies.Create(variant);
        var (worst, tolerance) = Compare(model, PlantedBug.None);
        Assert.True(worst < tolerance, $"max |logit - reference| = {worst}, tolerance {tolerance}");
        Assert.True(tolerance > 1e-4, "logits too small for the comparison to mean anything");
    }

    [Theory]
    [MemberData(nameof(PlantedBugs))]
    public void Forward_ReferenceWithPlantedBug_MissesTolerance(string variant, PlantedBug bug)
    {
        using var model = TinyFamilies.Create(variant);
        var (worst, tolerance) = Compare(model, bug);
        // Far outside: the comparison would catch the model making this mistake.
        Assert.True(worst > 100 * tolerance, $"{bug}: max |logit - reference| = {worst} is within 100 × tolerance {tolerance}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Forward_WithKvCache_EqualsFullRecompute(string variant)
    {
        using var model = TinyFamilies.Create(variant);
        using var noGrad = no_grad();
        using var full = model.Forward(TinyLlama.Ids(Ids));
        using var cache = model.CreateKvCache(initialCapacity: 4);
        var steps = new List<Tensor> { model.Forward(TinyLlama.Ids(Ids[..3]), cache: cache), model.Forward(TinyLlama.Ids(Ids[3..5]), cache: cache) };
        for (var t = 5; t < Ids.Length; t++)
        {
            steps.Add(model.Forward(TinyLlama.Ids([Ids[t]]), cache: cache));
        }
        using var incremental = cat(steps, 1);
        Assert.True(TinyLlama.MaxAbsDifference(full, incremental) < 1e-5, $"diff {TinyLlama.MaxAbsDifference(full, incremental)}");
        steps.ForEach(s => s.Dispose());
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Generate_Greedy_MatchesReferenceAndBatchedAndContinuousAgree(string variant)
    {
        using var model = TinyFamilies.Create(variant);
        var generator = new TextGenerator(model, TinyChatModel.LoadTokenizer(), stopTokenIds: []);
        IReadOnlyList<int>[] prompts = [[72, 101, 108, 108, 111], [200, 3], [9, 250, 17, 33, 90, 61, 7], [44]];
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 6 };

        var alone = prompts.Select(p => generator.Generate([p], options).Sequences[0].TokenIds.ToArray()).ToArray();
        var batched = generator.Generate(prompts, options).Sequences.Select(s => s.TokenIds.ToArray()).ToArray();
        var continuous = generator.GenerateContinuous(prompts, options, slots: 2).Sequences.Select(s => s.TokenIds.ToArray()).ToArray();

        for (var i = 0; i < prompts.Length; i++)
        {
            var reference = ReferenceDecoder.Greedy(model, [.. prompts[i].Select(id => (long)id)], 6);
            Assert.Equal(reference.Select(id => (int)id), alone[i]);
            Assert.Equal(alone[i], batched[i]);
            Assert.Equal(alone[i], continuous[i]);
        }
    }

    [Theory]
    [InlineData(259L)]
    [InlineData(-1L)]
    public void Forward_OutOfVocabularyId_ThrowsArgumentExceptionNamingIdAndVocabulary(long id)
    {
        using var model = TinyFamilies.Create("qwen3");
        using var noGrad = no_grad();
        using var input = TinyLlama.Ids([3, id, 5]);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(input).Dispose());
        Assert.Contains($"Token id {id}", error.Message);
        Assert.Contains("259", error.Message);
        Assert.Equal("inputIds", error.ParamName);
    }
}

/// <summary>OLMo 2's RMSNorm rounding: weight × normalised in float32, then one rounding to the model dtype.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class Olmo2RmsNormTests
{
    [Fact]
    public void RmsNorm_WeightBeforeRoundingInBfloat16_MultipliesInFloat32ThenRoundsOnce()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var olmo = new Srt.TorchSharp.Modeling.Modules.RmsNorm(64, 1e-6, ScalarType.BFloat16, CPU, weightBeforeRounding: true);
        var llama = new Srt.TorchSharp.Modeling.Modules.RmsNorm(64, 1e-6, ScalarType.BFloat16, CPU);
        random.manual_seed(3);
        var weight = (randn(64) * 0.5 + 1).to(ScalarType.BFloat16);
        olmo.named_parameters().Single().parameter.copy_(weight);
        llama.named_parameters().Single().parameter.copy_(weight);
        var input = randn(4, 64).to(ScalarType.BFloat16);

        var x = input.to(ScalarType.Float32);
        var normalised = x * (x.square().mean([-1L], keepdim: true) + 1e-6).rsqrt();
        var expected = (weight.to(ScalarType.Float32) * normalised).to(ScalarType.BFloat16);
        var output = olmo.forward(input);

        Assert.Equal(expected.to(ScalarType.Float32).data<float>().ToArray(), output.to(ScalarType.Float32).data<float>().ToArray());
        // Llama's order (round, then multiply in bf16) rounds twice and differs somewhere in 256 values.
        Assert.False(llama.forward(input).bytes.SequenceEqual(output.bytes), "the two rounding orders should differ on this input");
    }
}
