using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Modeling.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>RMSNorm and rotary embeddings against values computed by hand from the Hugging Face formulas.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class ModuleMathTests
{
    [Fact]
    public void RmsNorm_SmallInput_MatchesHandComputed()
    {
        using var norm = new RmsNorm(4, 1e-6, ScalarType.Float32, CPU);
        using var noGrad = no_grad();
        norm.named_parameters().Single().parameter.copy_(tensor(new float[] { 1f, 2f, 0.5f, -1f }));
        using var input = tensor(new float[] { 1, 2, 3, 4 }, [1, 4]);
        using var output = norm.forward(input);
        // mean of squares = 30/4 = 7.5; rms = sqrt(7.5 + 1e-6)
        var rms = Math.Sqrt(7.5 + 1e-6);
        double[] expected = [1 / rms * 1, 2 / rms * 2, 3 / rms * 0.5, 4 / rms * -1];
        var actual = output.data<float>().ToArray();
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 1e-6);
    }

    [Fact]
    public void RmsNorm_Bfloat16_NormalisesInFloat32ThenCastsBeforeWeight()
    {
        using var norm = new RmsNorm(3, 1e-6, ScalarType.BFloat16, CPU);
        using var noGrad = no_grad();
        norm.named_parameters().Single().parameter.fill_(3.0);
        using var input = tensor(new float[] { 1, 1, 1.0078125f }, [1, 3]).to(ScalarType.BFloat16);
        using var output = norm.forward(input);
        Assert.Equal(ScalarType.BFloat16, output.dtype);
        // HF: weight * (x * rsqrt(mean(x²) + eps)).to(bf16): normalised values are rounded to bf16 before × 3.
        using var normalised = (input.to(ScalarType.Float32) * (input.to(ScalarType.Float32).square().mean([-1L], keepdim: true) + 1e-6).rsqrt()).to(ScalarType.BFloat16);
        using var expected = normalised * tensor(3.0f).to(ScalarType.BFloat16);
        Assert.Equal(expected.to(ScalarType.Float32).data<float>().ToArray(), output.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Theory]
    [InlineData("default")]
    [InlineData("linear")]
    [InlineData("llama3")]
    public void InverseFrequencies_MatchHuggingFaceFormula(string kind)
    {
        var config = kind switch
        {
            "linear" => TinyLlama.Config(ropeScaling: TinyLlama.LinearScaling),
            "llama3" => TinyLlama.Config(ropeScaling: TinyLlama.Llama3Scaling),
            _ => TinyLlama.Config(),
        };
        using var actual = RotaryEmbedding.ComputeInverseFrequencies(config);
        var values = actual.data<float>().ToArray();
        // head_dim 8, theta 1e4: 1, 0.1, 0.01, 0.001 (before scaling).
        double[] plain = [1, 0.1, 0.01, 0.001];
        double[] expected = kind switch
        {
            "linear" => plain.Select(f => f / 4).ToArray(),
            // llama3 with original context 16, low 1, high 4, factor 8: wavelengths 2π/f = 6.28, 62.8, 628, 6283.
            // 6.28 < 16/4 = 4? no, and 6.28 <= 16 → medium: smooth = (16/6.283 - 1) / 3 = 0.5155, f = (1-s)/8 + s.
            // 62.8, 628, 6283 > 16 → low frequency: f / 8.
            "llama3" => [(1 - (16 / (2 * Math.PI) - 1) / 3) / 8 + (16 / (2 * Math.PI) - 1) / 3, 0.1 / 8, 0.01 / 8, 0.001 / 8],
            _ => plain,
        };
        Assert.Equal(4, values.Length);
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], values[i], expected[i] * 1e-6);
        var reference = ReferenceLlama.InverseFrequencies(config);
        for (var i = 0; i < 4; i++) Assert.Equal(reference[i], values[i], reference[i] * 1e-6);
    }

    [Fact]
    public void RotaryApply_SmallInput_RotatesHalfPairsByPositionAngles()
    {
        var config = TinyLlama.Config(); // head_dim 8 → inv_freq 1, 0.1, 0.01, 0.001
        using var rotary = new RotaryEmbedding(config);
        var (cosTable, sinTable) = rotary.Tables(4, ScalarType.Float32, CPU);
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        using var input = tensor(x.Select(v => (float)v).ToArray(), [1, 1, 1, 8]);
        const int Position = 3;
        using var cos = cosTable.narrow(0, Position, 1);
        using var sin = sinTable.narrow(0, Position, 1);
        using var output = RotaryEmbedding.Apply(input, cos, sin);
        var actual = output.data<float>().ToArray();
        double[] inverse = [1, 0.1, 0.01, 0.001];
        for (var i = 0; i < 4; i++)
        {
            var angle = Position * inverse[i];
            Assert.Equal(x[i] * Math.Cos(angle) - x[i + 4] * Math.Sin(angle), actual[i], 1e-5);
            Assert.Equal(x[i + 4] * Math.Cos(angle) + x[i] * Math.Sin(angle), actual[i + 4], 1e-5);
        }
    }

    [Fact]
    public void RotaryTables_GrowBeyondInitialLength_KeepValues()
    {
        using var rotary = new RotaryEmbedding(TinyLlama.Config()); // max positions 64
        var (cos, _) = rotary.Tables(10, ScalarType.Float32, CPU);
        var before = cos[5].data<float>().ToArray();
        var (grown, _) = rotary.Tables(200, ScalarType.Float32, CPU);
        Assert.True(rotary.Length >= 200);
        Assert.Equal(before, grown[5].data<float>().ToArray());
        Assert.Equal(Math.Cos(150 * 1.0), grown[150][0].item<float>(), 1e-4);
    }
}
