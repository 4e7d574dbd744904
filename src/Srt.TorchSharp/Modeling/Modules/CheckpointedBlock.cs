using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// What <see cref="ActivationCheckpointFunction"/> needs about one checkpointed call besides its saved tensors: the
/// block to run, which shared tensors were null, whether the input needs a gradient, and the random state to replay.
/// </summary>
internal sealed class CheckpointedBlock(Func<Tensor, IReadOnlyList<Tensor?>, Tensor> block, IReadOnlyList<Tensor?> shared, bool inputRequiresGrad)
{
    public Func<Tensor, IReadOnlyList<Tensor?>, Tensor> Block { get; } = block;

    /// <summary>The shared tensors as passed; read only during the forward pass (backward uses the saved copies).</summary>
    public IReadOnlyList<Tensor?> Shared { get; private set; } = shared;

    /// <summary>Positions of the non-null shared tensors, in the order they were saved after the input.</summary>
    public int[] PresentShared { get; } = [.. shared.Select((tensor, index) => (tensor, index)).Where(p => p.tensor is not null).Select(p => p.index)];

    public int SharedCount { get; } = shared.Count;

    public bool InputRequiresGrad { get; } = inputRequiresGrad;

    /// <summary>Whether the CPU generator state was saved (last saved tensor).</summary>
    public bool SavedCpuRandomState { get; set; }

    /// <summary>The CUDA generator seed set before the forward pass, or null.</summary>
    public long? CudaSeed { get; set; }

    /// <summary>Drops the references to the caller's shared tensors once they are saved in the node.</summary>
    public void ForgetShared() => Shared = [];

    /// <summary>The shared list rebuilt from the saved tensors (those after the input), nulls where they were null.</summary>
    public IReadOnlyList<Tensor?> Restore(IReadOnlyList<Tensor> saved)
    {
        var restored = new Tensor?[SharedCount];
        for (int i = 0; i < PresentShared.Length; i++)
        {
            restored[PresentShared[i]] = saved[1 + i];
        }
        return restored;
    }
}
