using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Modeling;

[Collection(TorchSharpCollection.Name)]
public sealed class KvCacheTests
{
    [Fact]
    public void Truncate_ThenRecompute_GivesTheSameLogitsAsBefore()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        using var noGrad = no_grad();
        using var cache = model.CreateKvCache();
        using var prefix = model.Forward(TinyLlama.Ids([3, 1, 4]), cache: cache);
        using var original = model.Forward(TinyLlama.Ids([1, 5]), cache: cache);
        using var rejected = model.Forward(TinyLlama.Ids([9]), cache: cache);
        cache.Truncate(3);
        Assert.Equal(3, cache.Length);
        using var again = model.Forward(TinyLlama.Ids([1, 5]), cache: cache);
        Assert.Equal(0f, TinyLlama.MaxAbsDifference(original, again));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Truncate(6));
    }

    [Fact]
    public void Reset_ReusesBuffersForANewSequence()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        using var noGrad = no_grad();
        using var cache = model.CreateKvCache(initialCapacity: 8);
        using (model.Forward(TinyLlama.Ids([7, 7, 7, 7]), cache: cache)) { }
        var capacity = cache.Capacity;
        cache.Reset();
        using var fresh = model.Forward(TinyLlama.Ids([2, 4, 6]), cache: cache);
        using var stateless = model.Forward(TinyLlama.Ids([2, 4, 6]));
        Assert.Equal(capacity, cache.Capacity);
        Assert.Equal(3, cache.Length);
        Assert.True(TinyLlama.MaxAbsDifference(fresh, stateless) < 1e-6);
    }

    [Fact]
    public void Forward_DifferentBatchWithoutReset_ThrowsClearError()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        using var noGrad = no_grad();
        using var cache = model.CreateKvCache();
        using (model.Forward(TinyLlama.Ids([1, 2]), cache: cache)) { }
        var error = Assert.Throws<InvalidOperationException>(() => model.Forward(TinyLlama.Ids([3], [4]), cache: cache).Dispose());
        Assert.Contains("Reset()", error.Message);
    }

    [Fact]
    public void Forward_CacheOfAnotherModel_ThrowsNamingLayerCounts()
    {
        using var model = TinyLlama.Create(TinyLlama.Config());
        using var cache = new KvCache(layerCount: 5);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(TinyLlama.Ids([1]), cache: cache).Dispose());
        Assert.Contains("5 layers", error.Message);
    }
}
