using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// The fused operations on CUDA tensors, launched with <see cref="FusedKernelLauncher"/> on the tensors' memory
/// (made contiguous first) on the legacy default stream, the one libtorch uses. Outputs come from libtorch's
/// allocator, so their lifetime follows the usual tensor rules.
/// </summary>
internal sealed class CudaFusedOpKernels : IFusedOpKernels
{
    private readonly FusedKernelLauncher _launcher;

    private CudaFusedOpKernels(FusedKernelLauncher launcher) => _launcher = launcher;

    /// <summary>
    /// Returns the kernels for the tensors' device, or null with a reason when they cannot run these tensors
    /// (not CUDA, mixed devices, an element type other than float32 or bfloat16, or no usable driver/NVRTC).
    /// </summary>
    public static CudaFusedOpKernels? TryCreate(out string reason, Tensor first, params Tensor[] others)
    {
        if (first.device_type != DeviceType.CUDA)
        {
            reason = $"the tensors are on {first.device_type}";
            return null;
        }

        if (others.Any(t => t.device_type != DeviceType.CUDA || t.device_index != first.device_index))
        {
            reason = "the tensors are on different devices";
            return null;
        }

        if (first.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || others.Any(t => t.dtype != first.dtype))
        {
            reason = $"the kernels take float32 or bfloat16 tensors of one type, not {first.dtype}";
            return null;
        }

        if (!CudaKernels.IsAvailable)
        {
            reason = CudaKernels.UnavailableReason;
            return null;
        }

        reason = string.Empty;
        return new CudaFusedOpKernels(FusedKernelLauncher.For(first.device_index));
    }

    /// <summary>Gets whether RMSNorm's backward fits the device (its dw accumulators for long rows use shared memory).</summary>
    public bool SupportsRmsNorm(Tensor input) =>
        input.shape[^1] <= int.MaxValue && _launcher.SupportsRmsNormBackward((int)input.shape[^1]);

    public (Tensor Output, Tensor InverseRms) RmsNormForward(Tensor input, Tensor weight, double eps)
    {
        var x = input.contiguous();
        var w = weight.contiguous();
        var cols = (int)x.shape[^1];
        var rows = checked((int)(x.numel() / Math.Max(1, cols)));
        var output = empty_like(x);
        var inverseRms = empty(rows, ScalarType.Float32, x.device);
        _launcher.RmsNormForward(ElementType(x), TensorMemory.Address(x), TensorMemory.Address(w), TensorMemory.Address(output),
            TensorMemory.Address(inverseRms), rows, cols, (float)eps);
        return (output, inverseRms);
    }

    public (Tensor InputGrad, Tensor WeightGrad) RmsNormBackward(Tensor gradOutput, Tensor input, Tensor weight, Tensor inverseRms)
    {
        var dy = gradOutput.contiguous();
        var x = input.contiguous();
        var w = weight.contiguous();
        var cols = (int)x.shape[^1];
        var rows = checked((int)(x.numel() / Math.Max(1, cols)));
        var type = ElementType(x);
        var inputGrad = empty_like(x);
        var weightGrad = empty_like(w);
        using var workspace = empty((long)_launcher.RmsNormBackwardParts(type, rows, cols) * cols, ScalarType.Float32, x.device);
        _launcher.RmsNormBackward(type, TensorMemory.Address(dy), TensorMemory.Address(x), TensorMemory.Address(w),
            TensorMemory.Address(inverseRms), TensorMemory.Address(inputGrad), TensorMemory.Address(weightGrad),
            TensorMemory.Address(workspace), rows, cols);
        return (inputGrad, weightGrad);
    }

    public Tensor Rotary(Tensor input, Tensor cos, Tensor sin, bool inverse)
    {
        var x = input.contiguous();
        var (batch, heads, seq, dim) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var c = RotaryTable(cos, batch, seq, dim);
        var s = RotaryTable(sin, batch, seq, dim);
        var output = empty_like(x);
        _launcher.Rotary(ElementType(x), inverse, TensorMemory.Address(x), TensorMemory.Address(c), TensorMemory.Address(s),
            TensorMemory.Address(output), checked((int)batch), checked((int)heads), checked((int)seq), checked((int)dim),
            c.shape[0] != 1);
        return output;
    }

    public Tensor SwiGluForward(Tensor gate, Tensor up)
    {
        var g = gate.contiguous();
        var u = up.contiguous();
        var output = empty_like(g);
        _launcher.SwiGluForward(ElementType(g), TensorMemory.Address(g), TensorMemory.Address(u), TensorMemory.Address(output), g.numel());
        return output;
    }

    public (Tensor GateGrad, Tensor UpGrad) SwiGluBackward(Tensor gradOutput, Tensor gate, Tensor up)
    {
        var dy = gradOutput.contiguous();
        var g = gate.contiguous();
        var u = up.contiguous();
        var gateGrad = empty_like(g);
        var upGrad = empty_like(u);
        _launcher.SwiGluBackward(ElementType(g), TensorMemory.Address(dy), TensorMemory.Address(g), TensorMemory.Address(u),
            TensorMemory.Address(gateGrad), TensorMemory.Address(upGrad), g.numel());
        return (gateGrad, upGrad);
    }

    /// <summary>cos/sin as the kernel reads them: float32, contiguous, [1 or batch, seq, dim].</summary>
    private static Tensor RotaryTable(Tensor table, long batch, long seq, long dim)
    {
        var t = table.to_type(ScalarType.Float32);
        t = t.dim() switch
        {
            2 => t.unsqueeze(0),
            3 => t,
            4 when t.shape[1] == 1 => t.squeeze(1),
            _ => throw new ArgumentException($"cos/sin must be [seq, dim], [batch, seq, dim] or [batch, 1, seq, dim]; got [{string.Join(", ", table.shape)}]."),
        };
        if ((t.shape[0] != 1 && t.shape[0] != batch) || t.shape[1] != seq || t.shape[2] != dim)
        {
            throw new ArgumentException($"cos/sin of shape [{string.Join(", ", table.shape)}] do not match input [{batch}, heads, {seq}, {dim}].");
        }

        return t.contiguous();
    }

    private static KernelElementType ElementType(Tensor tensor) =>
        tensor.dtype == ScalarType.BFloat16 ? KernelElementType.BFloat16 : KernelElementType.Float32;
}
