using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>
/// Proves the natives load and compute in this test process: on Debian 12 that only holds when the build patched
/// the output copy of libLibTorchSharp.so (see docs/torchsharp-natives.md).
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class TorchSharpInProcessTests
{
    [Fact]
    public void Matmul_OnesTimesArange_SumsToExpectedValue()
    {
        using var scope = NewDisposeScope();
        var ones = torch.ones(2, 3);
        var values = torch.arange(6, dtype: ScalarType.Float32).reshape(3, 2); // [[0,1],[2,3],[4,5]]

        var product = ones.matmul(values); // every row is the column sums: [6, 9]

        Assert.Equal(new long[] { 2, 2 }, product.shape);
        Assert.Equal(new[] { 6f, 9f, 6f, 9f }, product.data<float>().ToArray());
        Assert.Equal(30f, product.sum().item<float>());
    }

    [Fact]
    public void Backward_SumOfSquaresTimesWeight_GivesAnalyticGradient()
    {
        using var scope = NewDisposeScope();
        var x = torch.tensor(new[] { 1f, -2f, 3f }, requires_grad: true);
        var w = torch.tensor(new[] { 0.5f, 2f, -1f });

        // loss = sum(w * x^2) => dloss/dx = 2 * w * x = [1, -8, -6]
        var loss = (w * x.pow(2)).sum();
        loss.backward();

        Assert.Equal(0.5f * 1 + 2f * 4 - 1f * 9, loss.item<float>(), 5);
        Assert.Equal(new[] { 1f, -8f, -6f }, x.grad!.data<float>().ToArray());
    }
}
