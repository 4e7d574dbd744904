using Srt.TorchSharp.Kernels;
using TorchSharp;
using Xunit.Abstractions;
using static Srt.TorchSharp.Tests.Kernels.LossTestData;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

[Collection(TorchSharpCollection.Name)]
public sealed class SequenceLogProbsTests(ITestOutputHelper output)
{
    private const double Float32Bound = 1e-5;
    private static readonly LanguageModelLossOptions SmallChunks = new() { ChunkRows = 4 };

    [Fact]
    public void SequenceLogProbs_MaskedBatch_MatchesFloat64PlainValuesAndGradients()
    {
        var (hidden, weight, targets) = Make([3, 7], 16, 37, seed: 21);
        var mask = torch.rand(3, 7, generator: new Generator(21)).gt(0.4);
        mask[2] = torch.zeros(7, dtype: ScalarType.Bool); // a sequence without supervised tokens
        var upstream = torch.tensor(new[] { 0.7f, -1.3f, 2.0f });

        var fused = FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets, mask, SmallChunks);
        (fused * upstream).sum().backward();

        var refHidden = Float64Leaf(hidden);
        var refWeight = Float64Leaf(weight);
        var plain = PlainLinearCrossEntropy.SequenceLogProbs(refHidden, refWeight, targets, mask);
        (plain * upstream.to(ScalarType.Float64)).sum().backward();

        Assert.Equal(new long[] { 3 }, fused.shape);
        Assert.Equal(0f, fused[2].item<float>());
        AssertClose(fused, plain, Float32Bound, "log-probs");
        AssertClose(hidden.grad!, refHidden.grad!, Float32Bound, "grad hidden");
        AssertClose(weight.grad!, refWeight.grad!, Float32Bound, "grad weight");
    }

    [Fact]
    public void SequenceLogProbs_IgnoreIndexTargets_CountOnlySupervisedTokens()
    {
        var (hidden, weight, targets) = Make([2, 5], 8, 29, seed: 22);
        var ignored = targets.clone();
        ignored[0, 1] = torch.tensor(-100L);
        var mask = ignored.ne(-100);

        var fused = FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, ignored, lossMask: null, SmallChunks);
        var plain = PlainLinearCrossEntropy.SequenceLogProbs(Float64Leaf(hidden), Float64Leaf(weight), targets, mask);

        AssertClose(fused, plain, Float32Bound, "log-probs");
        Assert.True(fused.le(0).all().item<bool>());
    }

    [Fact]
    public void SequenceLogProbs_FrozenHead_ComputesOnlyHiddenGradient()
    {
        var (hidden, weight, targets) = Make([2, 6], 8, 31, seed: 23);
        weight.requires_grad_(false);

        FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets, null, SmallChunks).sum().backward();

        var refHidden = Float64Leaf(hidden);
        PlainLinearCrossEntropy.SequenceLogProbs(refHidden, Float64Leaf(weight, false), targets).sum().backward();
        Assert.Null(weight.grad);
        AssertClose(hidden.grad!, refHidden.grad!, Float32Bound, "grad hidden");
    }

    [Fact]
    public void SequenceLogProbs_ReferenceModelUnderNoGrad_ReturnsValuesWithoutGraph()
    {
        var (hidden, weight, targets) = Make([2, 5], 8, 23, seed: 24);
        var expected = PlainLinearCrossEntropy.SequenceLogProbs(Float64Leaf(hidden), Float64Leaf(weight), targets);

        using (torch.no_grad())
        {
            var values = FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets, null, SmallChunks);
            Assert.False(values.requires_grad);
            AssertClose(values, expected, Float32Bound, "log-probs");
        }
    }

    [Fact]
    public void SequenceLogProbs_BFloat16_StaysWithinStatedToleranceOfFloat64()
    {
        var (hidden, weight, targets) = Make([4, 25], 64, 1000, seed: 25, ScalarType.BFloat16);
        var upstream = torch.tensor(new[] { 1f, -0.5f, 0.25f, 2f });

        var fused = FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets, null, new() { ChunkRows = 16 });
        (fused * upstream).sum().backward();

        var refHidden = Float64Leaf(hidden);
        var refWeight = Float64Leaf(weight);
        var plain = PlainLinearCrossEntropy.SequenceLogProbs(refHidden, refWeight, targets);
        (plain * upstream.to(ScalarType.Float64)).sum().backward();

        output.WriteLine($"bf16 relative errors: log-probs {RelativeError(fused, plain):E2}, grad hidden {RelativeError(hidden.grad!, refHidden.grad!):E2}, grad weight {RelativeError(weight.grad!, refWeight.grad!):E2}");
        AssertClose(fused, plain, 2e-3, "bf16 log-probs");
        AssertClose(hidden.grad!, refHidden.grad!, 2e-2, "bf16 grad hidden");
        AssertClose(weight.grad!, refWeight.grad!, 2e-2, "bf16 grad weight");
    }

    [Fact]
    public void SequenceLogProbs_RepeatedCalls_LeaveNoLiveTensorsBehind()
    {
        var (hidden, weight, targets) = Make([2, 6], 8, 23, seed: 26);
        RunStep(hidden, weight, targets);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (int i = 0; i < 3; i++)
        {
            RunStep(hidden, weight, targets);
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void SequenceLogProbs_PlainSwitch_AgreesWithFusedDefault()
    {
        var (hidden, weight, targets) = Make([2, 6], 8, 31, seed: 27);
        var mask = targets.remainder(2).eq(1);

        var fused = LanguageModelLoss.SequenceLogProbs(hidden, weight, targets, mask);
        var plain = LanguageModelLoss.SequenceLogProbs(hidden, weight, targets, mask, new() { Implementation = LossImplementation.Plain });

        AssertClose(fused, plain, Float32Bound, "log-probs");
    }

    [Fact]
    public void SequenceLogProbs_FlatHidden_ThrowsNamingHidden()
    {
        var (hidden, weight, targets) = Make([6], 8, 31, seed: 28);

        var error = Assert.Throws<ArgumentException>(() => FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets));
        Assert.Equal("hidden", error.ParamName);
    }

    private static void RunStep(Tensor hidden, Tensor weight, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        FusedLinearCrossEntropy.SequenceLogProbs(hidden, weight, targets, null, SmallChunks).sum().backward();
    }
}
