using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// Frees the C# tensor wrappers that our custom autograd functions hand to libtorch from <c>backward</c>.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>Node.ApplyFunc</c> wraps each incoming gradient in a new <see cref="Tensor"/> and returns the
/// handles of the tensors our backward returns; the native <c>CSharpNode::apply</c> copies the <c>at::Tensor</c> out of
/// each handle after the call and never frees a handle. On the CPU, backward runs on the thread that called
/// <c>backward()</c> and these wrappers join that thread's dispose scope. On CUDA, libtorch runs the node on its
/// per-device worker thread, which has no dispose scope, so every wrapper (the lm_head one holds a full V × H weight
/// gradient) would live until the .NET finalizer ran. A wrapper may be freed only once its <c>ApplyFunc</c> call has
/// returned to C++; so each backward on a thread without a scope first frees what earlier backward calls on the same
/// thread handed over (those calls have returned), then registers its own. <see cref="Release(Device)"/> drains a
/// device's worker thread deterministically.
/// </remarks>
internal static class BackwardOutputs
{
    [ThreadStatic]
    private static List<Tensor>? _handedOver;

    /// <summary>
    /// Gets or sets whether backward outputs on threads without a scope are tracked and freed; off restores TorchSharp's
    /// behaviour (freed by the finalizer). Only the CUDA memory benchmark switches it off, to show the difference.
    /// </summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Gets the wrappers the current thread holds for its next drain (for tests).</summary>
    internal static IReadOnlyList<Tensor> PendingOnCurrentThread => _handedOver?.ToArray() ?? [];

    /// <summary>
    /// Called first in every custom backward (before it opens a scope of its own): frees the wrappers that earlier
    /// backward calls on this thread returned.
    /// </summary>
    /// <returns>Whether the thread had a dispose scope on entry (pass it to <see cref="HandOver"/>).</returns>
    public static bool BeginBackward()
    {
        DrainCurrentThread();
        return torch.CurrentDisposeScope is not null;
    }

    /// <summary>
    /// Frees the wrappers that earlier backward calls on this thread returned. Every registered call has returned to
    /// C++, because registration is the last thing a backward does.
    /// </summary>
    public static void DrainCurrentThread()
    {
        var pending = _handedOver;
        if (pending is null || pending.Count == 0)
        {
            return;
        }
        _handedOver = null;
        foreach (var tensor in pending)
        {
            tensor.Dispose();
        }
    }

    /// <summary>
    /// Called last in every custom backward, on the list it returns: when this thread has no dispose scope (the CUDA
    /// engine's worker thread), remembers the returned gradients and the incoming gradient wrappers for the next drain.
    /// With a scope (the CPU engine runs on the caller's thread), the scope already frees them and nothing changes.
    /// </summary>
    /// <param name="callerScoped">What <see cref="BeginBackward"/> returned.</param>
    /// <param name="gradients">The gradients about to be returned; only these go to C++.</param>
    /// <param name="gradOutputs">The incoming gradients TorchSharp wrapped for this call; nothing else holds them.</param>
    /// <returns><paramref name="gradients"/>.</returns>
    public static List<Tensor> HandOver(bool callerScoped, List<Tensor> gradients, IEnumerable<Tensor> gradOutputs)
    {
        if (callerScoped || !Enabled)
        {
            return gradients;
        }
        var pending = _handedOver ??= [];
        foreach (var tensor in gradients.Concat(gradOutputs))
        {
            if (tensor is not null && !tensor.IsInvalid && !pending.Any(p => ReferenceEquals(p, tensor)))
            {
                pending.Add(tensor);
            }
        }
        return gradients;
    }

    /// <summary>
    /// Frees the wrappers that the last backward on <paramref name="device"/>'s autograd thread handed over, by running a
    /// one-element backward through a trivial custom function there (its drain executes on that thread, so this is
    /// safe while other threads train). On the CPU the engine uses the calling thread, so this drains that thread.
    /// </summary>
    /// <param name="device">The device whose autograd worker thread to drain.</param>
    public static void Release(Device device)
    {
        if (device.type == DeviceType.CPU)
        {
            DrainCurrentThread();
            return;
        }
        using var scope = torch.NewDisposeScope();
        using var enabled = torch.enable_grad();
        var input = torch.ones(1, dtype: ScalarType.Float32, device: device, requires_grad: true);
        var output = BackwardOutputsReleaseFunction.apply(input);
        torch.autograd.grad([output], [input]);
    }
}
