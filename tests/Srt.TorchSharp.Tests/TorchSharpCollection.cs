namespace Srt.TorchSharp.Tests;

/// <summary>
/// TorchSharp tests share native state (thread counts, dispose-scope statistics, RNG), so they run one at a time.
/// Put <c>[Collection(TorchSharpCollection.Name)]</c> on every test class that touches tensors.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchSharpCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "TorchSharp";
}
