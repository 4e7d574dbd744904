using Srt.TorchSharp.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// The autograd node behind <see cref="ActivationCheckpoint"/>. Arguments: the block's input and a
/// <see cref="CheckpointedBlock"/>. Forward runs the block without a graph and saves the input, the shared tensors
/// and the random state; backward recomputes the block with gradients and backpropagates through it.
/// </summary>
internal sealed class ActivationCheckpointFunction : autograd.MultiTensorFunction<ActivationCheckpointFunction>
{
    private const string CallKey = "call";

    private static long _recomputations;

    /// <summary>Gets how many checkpointed blocks backward has recomputed in this process (for tests and diagnostics).</summary>
    public static long Recomputations => Interlocked.Read(ref _recomputations);

    /// <inheritdoc/>
    public override string Name => "SrtActivationCheckpoint";

    /// <inheritdoc/>
    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var call = (CheckpointedBlock)vars[1];
        var toSave = new List<Tensor> { input };
        toSave.AddRange(call.PresentShared.Select(i => call.Shared[i]!));
        if (input.device_type == DeviceType.CUDA)
        {
            call.CudaSeed = randint(0, long.MaxValue, [1], ScalarType.Int64).item<long>();
            cuda.manual_seed(call.CudaSeed.Value);
        }
        else
        {
            toSave.Add(get_rng_state());
            call.SavedCpuRandomState = true;
        }
        var output = call.Block(input, call.Shared);
        call.ForgetShared();
        ctx.save_for_backward(toSave);
        ctx.save_data(CallKey, call);
        // An undefined incoming gradient would make TorchSharp build zeros from its per-node output copy, which
        // ActivationCheckpoint frees early; backward treats a missing gradient as zero itself.
        ctx.set_materialize_grads(false);
        return [output];
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        // On the CPU this runs on the thread that called backward(); on CUDA on libtorch's device thread (no scope
        // there: BackwardOutputs frees what we return). The scope frees the recomputed activations.
        bool callerScoped = BackwardOutputs.BeginBackward();
        using var scope = NewDisposeScope();
        var call = (CheckpointedBlock)ctx.get_data(CallKey);
        var upstream = grad_outputs[0];
        Tensor? inputGradient = null;
        if (upstream is not null && !upstream.IsInvalid)
        {
            var saved = ctx.get_saved_variables();
            var input = saved[0].detach().requires_grad_(call.InputRequiresGrad);
            var shared = call.Restore(saved);
            Tensor output;
            using (enable_grad())
            {
                output = Recompute(call, input, shared, call.SavedCpuRandomState ? saved[^1] : null);
            }
            Interlocked.Increment(ref _recomputations);
            if (output.requires_grad)
            {
                // Accumulates into every trainable leaf the block used, as the uncheckpointed graph would.
                autograd.backward([output], [upstream]);
                inputGradient = call.InputRequiresGrad ? input.grad : null;
            }
        }
        return BackwardOutputs.HandOver(callerScoped, [inputGradient?.MoveToOuterDisposeScope()!, null!], grad_outputs);
    }

    private static Tensor Recompute(CheckpointedBlock call, Tensor input, IReadOnlyList<Tensor?> shared, Tensor? cpuRandomState)
    {
        if (call.CudaSeed is { } seed)
        {
            cuda.manual_seed(seed);
            return call.Block(input, shared);
        }
        if (cpuRandomState is null)
        {
            return call.Block(input, shared);
        }
        // Replay the forward pass's draws, then put the generator back where backward found it.
        using var current = get_rng_state();
        set_rng_state(cpuRandomState);
        try
        {
            return call.Block(input, shared);
        }
        finally
        {
            set_rng_state(current);
        }
    }
}
