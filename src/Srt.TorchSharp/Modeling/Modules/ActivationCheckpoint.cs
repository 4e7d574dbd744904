using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Activation checkpointing for one block of a model (a decoder layer): the forward pass keeps only the block's input
/// and the shared tensors it reads (rotary angles, mask); backward runs the block again with gradients on and
/// backpropagates through that recomputation. Memory for the block's intermediate activations is traded for a second
/// forward pass of it. Works for any block written as a function of its input and a list of shared tensors.
/// </summary>
/// <remarks>
/// <para>Gradients reach every trainable tensor the block uses (its own parameters, LoRA adapters that are not
/// registered modules, anything captured), because backward calls <c>torch.autograd.backward</c> on the recomputed
/// output: the gradients accumulate into those leaves exactly as without checkpointing, and only the input's gradient
/// goes back through the outer graph (PyTorch's reentrant <c>checkpoint</c> works the same way).</para>
/// <para>Randomness: the models have no dropout, but LoRA adapters do. On the CPU the default generator's state is
/// saved before the block runs and restored for the recomputation (then put back), so dropout masks are the same in
/// both passes and the run's random stream is exactly the one it has without checkpointing. TorchSharp 0.107 cannot
/// read or set a CUDA generator's state, so on a GPU each checkpointed block seeds the CUDA generator with a value
/// drawn from the CPU generator, before the forward pass and again before the recomputation.</para>
/// <para>Only call this while gradients are recorded (<c>torch.is_grad_enabled()</c>) and without a KV cache: a
/// no-grad pass (the DPO reference, generation) has no activations to save and must run the block directly.</para>
/// </remarks>
internal static class ActivationCheckpoint
{
    /// <summary>Runs <paramref name="block"/> on <paramref name="input"/> without keeping its activations.</summary>
    /// <param name="input">The block's input, e.g. hidden states [B, T, hidden].</param>
    /// <param name="shared">Tensors the block reads besides its input (may contain nulls); kept alive for backward.</param>
    /// <param name="block">The block as a function of its input and <paramref name="shared"/>; it must read tensors
    /// only through its arguments (the caller's copies are disposed before backward runs) and must not change them.</param>
    /// <returns>The block's output, recorded in the graph as one node; the caller's dispose scope owns it.</returns>
    public static Tensor Run(Tensor input, IReadOnlyList<Tensor?> shared, Func<Tensor, IReadOnlyList<Tensor?>, Tensor> block)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(block);
        using var scope = NewDisposeScope();

        // The node is part of the graph only if one of its tensor arguments requires a gradient. The first layer's
        // input does not under LoRA (the embedding is frozen) although the adapters inside do: a detached copy that
        // requires a gradient keeps the node in the graph, and backward returns no gradient for it.
        bool inputRequiresGrad = input.requires_grad;
        var argument = inputRequiresGrad ? input : input.detach().requires_grad_(true);
        var call = new CheckpointedBlock(block, shared, inputRequiresGrad);

        // The scope also frees what TorchSharp allocates per node for output metadata (an empty_like of the output,
        // as large as the activation this exists to drop) the moment the node is built.
        return ActivationCheckpointFunction.apply(argument, call)[0].MoveToOuterDisposeScope();
    }
}
