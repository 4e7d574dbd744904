using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

[Collection(TorchSharpCollection.Name)]
public sealed class TensorLeakTests
{
    [Fact]
    public void ForwardWithCache_InLoop_KeepsLiveTensorCountFlat()
    {
        using var model = TinyLlama.Create(TinyLlama.Config(ropeScaling: TinyLlama.Llama3Scaling));
        using var noGrad = no_grad();
        using var cache = model.CreateKvCache(initialCapacity: 64);
        var maskValues = new List<long> { 0, 1, 1 };
        void Step(long[] ids)
        {
            using var input = TinyLlama.Ids(ids);
            using var mask = TinyLlama.Ids(maskValues.ToArray());
            using var logits = model.Forward(input, mask, cache);
        }
        Step([0, 5, 6]); // prefill with one padding column: builds rotary tables and cache buffers
        maskValues.Add(1);
        Step([7]);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 30; i++)
        {
            maskValues.Add(1);
            Step([8 + i]);
        }
        var after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
        Assert.Equal(34, cache.Length);
    }

    [Fact]
    public void ForwardWithoutCache_InsideDisposeScope_LeavesNothingBehind()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        using (var warmUp = NewDisposeScope())
        {
            model.Forward(TinyLlama.Ids([1, 2, 3, 4])).square().mean().backward(); // creates the .grad tensors
        }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 10; i++)
        {
            using var scope = NewDisposeScope();
            using var loss = model.Forward(TinyLlama.Ids([1, 2, 3, 4], [5, 6, 7, 8])).square().mean();
            loss.backward();
        }
        var after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }
}
