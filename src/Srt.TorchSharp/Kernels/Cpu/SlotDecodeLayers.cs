using System.Runtime.Intrinsics;
using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static Srt.TorchSharp.Kernels.Cpu.CpuTensorChecks;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// Every layer of a continuous-batching decode step on the CPU in one parallel run: per layer the input norm, the
/// q/k/v products, slot attention, the output product with its residual add, the second norm, the gated MLP's
/// products and activation, and the down product with its residual add, as seven phases of work items that the
/// threads take in order (a thread that takes an item of the next phase first waits until the current one is done).
/// Each item runs the same code as the separate kernels (<see cref="SmallRowRmsNorm"/>, <see cref="SmallRowLinear"/>,
/// <see cref="SlotDecodeAttention"/>) on the same inputs, so the step's results are bitwise those of the layer-by-layer
/// path; what it removes is that path's dispatch: about sixty kernel calls and libtorch operations per step, each
/// with its tensors, shape reads, dispose scopes and a parallel region, during which the other threads wait. On the
/// 2-core development VM a 25M model's step at 8 slots took 3.17 ms fused against 4.03 layer by layer
/// (docs/benchmarks.md, <c>batching --profile 1</c>).
/// </summary>
internal static partial class SlotDecodeLayers
{
    private static long _steps;

    /// <summary>Gets or sets a value indicating whether decoding steps may run fused; false runs them layer by layer
    /// (still with the separate kernels), so tests and benchmarks can compare the two.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public static bool Enabled { get; set; } = true;

    /// <summary>Gets the number of steps run fused in this process (for tests that check the fused path ran).</summary>
    public static long StepsRun => Interlocked.Read(ref _steps);

    /// <summary>
    /// Runs <paramref name="layers"/> on <paramref name="hidden"/> [B, 1, hidden] (one token per running slot, slot b
    /// at <paramref name="positions"/>[b]) and returns the last layer's output [B, 1, hidden], having written each
    /// layer's keys and values into its slot cache. Returns <see langword="null"/>, touching nothing, when the fused
    /// step does not apply: a switch is off, gradients are recorded, or a tensor is not a contiguous float32 CPU tensor
    /// of the shape its role needs (the caller then runs the layers one by one, which reports what is wrong). A position
    /// outside a layer's cache or rotary table throws <see cref="ArgumentException"/>, as the slot attention does.
    /// </summary>
    public static Tensor? TryRun(Tensor hidden, IReadOnlyList<SlotDecodeLayer> layers, long[] positions)
    {
        if (!Enabled || !SmallRowLinear.Enabled || !SlotDecodeAttention.Enabled || !SmallRowLinear.IsSupported
            || !Vector256.IsHardwareAccelerated || layers.Count == 0 || is_grad_enabled()
            || !IsContiguous(hidden, 3) || hidden.size(1) != 1)
        {
            return null;
        }
        var (rows, width) = (hidden.size(0), hidden.size(2));
        if (rows is < 1 or > SmallRowLinear.MaxRows || positions.Length != rows || width > int.MaxValue)
        {
            return null;
        }
        var shape = StepShape.Of(layers[0], rows, width);
        if (shape is null || layers.Any(layer => !shape.Fits(layer)))
        {
            return null;
        }
        // Layers of one kind share their rotary tables: each table is checked once.
        Tensor? checkedTable = null;
        foreach (var layer in layers)
        {
            if (layer.Cos is null || !ReferenceEquals(layer.Cos, checkedTable))
            {
                SlotDecodeAttention.CheckPositions(positions, shape.Capacity, layer.Cos, layer.Sin, layer.Cos?.shape, shape.Dim);
                checkedTable = layer.Cos ?? checkedTable;
            }
        }

        var output = empty([rows, 1, width], ScalarType.Float32);
        using var scratch = empty([shape.ScratchFloats((int)rows)], ScalarType.Float32);
        var step = new FusedStep(shape, (int)rows, positions, layers, hidden, output, scratch);
        var threads = get_num_threads();
        if (threads <= 1)
        {
            for (var ticket = 0; ticket < step.Tickets; ticket++)
            {
                step.Run(ticket);
            }
        }
        else
        {
            KernelWorkers.Shared.Run(step.Tickets, threads, step.Run);
        }
        GC.KeepAlive(hidden);
        GC.KeepAlive(layers);
        Interlocked.Increment(ref _steps);
        return output;
    }
}
