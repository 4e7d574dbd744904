using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static Srt.TorchSharp.Tests.Kernels.LossTestData;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

/// <summary>
/// On CUDA, libtorch runs custom backward nodes on its device thread, where no dispose scope exists. A CPU backward
/// called from a thread without a scope takes the same path, so these tests run backward on such a thread.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class BackwardOutputsTests
{
    private static readonly LanguageModelLossOptions Fused = new() { Implementation = LossImplementation.Fused, ChunkRows = 3 };

    [Fact]
    public async Task FusedLossBackward_ThreadWithoutScope_FreesPreviousOutputsOnNextBackwardAndKeepsGradientsExact()
    {
        var (hidden, weight, targets) = Make([7], 8, 19, seed: 21);
        hidden.requires_grad_();
        weight.requires_grad_();
        Tensor[] expected;
        using (var scope = torch.NewDisposeScope())
        {
            var plain = LanguageModelLoss.CrossEntropy(hidden, weight, targets, lossMask: null, new LanguageModelLossOptions { Implementation = LossImplementation.Plain }).Loss;
            expected = torch.autograd.grad([plain], [hidden, weight]).Select(g => g.MoveToOuterDisposeScope()).ToArray();
        }

        var outcome = await Task.Run(() =>
        {
            Assert.Null(torch.CurrentDisposeScope);
            var first = Gradients(hidden, weight, targets);
            var firstOutputs = BackwardOutputs.PendingOnCurrentThread;
            bool firstValidAfterOwnBackward = firstOutputs.All(t => !t.IsInvalid);
            var second = Gradients(hidden, weight, targets);
            var secondOutputs = BackwardOutputs.PendingOnCurrentThread;
            bool firstFreedBySecond = firstOutputs.All(t => t.IsInvalid);
            bool secondValid = secondOutputs.All(t => !t.IsInvalid);
            FusedOps.ReleaseBackwardOutputs(torch.CPU);
            return (first, second, firstOutputs, secondOutputs, firstValidAfterOwnBackward, firstFreedBySecond, secondValid,
                pendingAfterRelease: BackwardOutputs.PendingOnCurrentThread.Count);
        });

        // Handed over: the weight and hidden gradients and the incoming gradient (the loss's 1).
        Assert.Equal(3, outcome.firstOutputs.Count);
        Assert.True(outcome.firstValidAfterOwnBackward);
        Assert.True(outcome.firstFreedBySecond);
        Assert.True(outcome.secondValid);
        Assert.Equal(0, outcome.pendingAfterRelease);
        Assert.All(outcome.secondOutputs, t => Assert.True(t.IsInvalid));
        foreach (var gradients in new[] { outcome.first, outcome.second })
        {
            AssertClose(gradients[0], expected[0], 1e-5, "grad hidden");
            AssertClose(gradients[1], expected[1], 1e-5, "grad weight");
        }
    }

    [Fact]
    public async Task FusedLossBackward_CallerWithScope_LeavesOutputsToTheScope()
    {
        var (hidden, weight, targets) = Make([5], 8, 11, seed: 22);
        hidden.requires_grad_();
        weight.requires_grad_();
        int pending = await Task.Run(() =>
        {
            using var scope = torch.NewDisposeScope();
            Gradients(hidden, weight, targets);
            return BackwardOutputs.PendingOnCurrentThread.Count;
        });
        Assert.Equal(0, pending);
    }

    [Fact]
    public async Task RmsNormAndSwiGluBackward_ThreadWithoutScope_FreesPreviousOutputsAndMatchesScopedGradients()
    {
        manual_seed(23);
        var input = randn([4, 6], ScalarType.Float64).requires_grad_();
        var norm = randn(6, ScalarType.Float64).requires_grad_();
        var up = randn([4, 6], ScalarType.Float64).requires_grad_();
        Tensor[] Run()
        {
            var normed = RmsNormFunction.apply(input, norm, 1e-5, ComposedFusedOpKernels.Instance);
            var output = SwiGluFunction.apply(normed, up, ComposedFusedOpKernels.Instance);
            return torch.autograd.grad([output.square().sum()], [input, norm, up]).ToArray();
        }

        Tensor[] expected;
        using (var scope = torch.NewDisposeScope())
        {
            expected = Run().Select(g => g.detach().clone().MoveToOuterDisposeScope()).ToArray();
        }

        var (gradients, firstFreed, firstCount) = await Task.Run(() =>
        {
            Run();
            var firstOutputs = BackwardOutputs.PendingOnCurrentThread;
            var again = Run();
            bool freed = firstOutputs.All(t => t.IsInvalid);
            BackwardOutputs.DrainCurrentThread();
            return (again, freed, firstOutputs.Count);
        });

        // The last backward on the thread (RMSNorm's) handed over its two gradients and its incoming gradient.
        Assert.Equal(3, firstCount);
        Assert.True(firstFreed);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(0.0, (gradients[i] - expected[i]).abs().max().item<double>());
        }
    }

    private static Tensor[] Gradients(Tensor hidden, Tensor weight, Tensor targets)
    {
        var loss = LanguageModelLoss.CrossEntropy(hidden, weight, targets, lossMask: null, Fused).Loss;
        return torch.autograd.grad([loss], [hidden, weight]).ToArray();
    }
}
