using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// RMSNorm, rotary embedding and SwiGLU for the Llama-family model. On CUDA tensors (float32 or bfloat16) with the
/// NVIDIA driver and NVRTC present, each runs as one fused CUDA kernel forward and one backward, wrapped as an
/// autograd node; otherwise the same math runs as composed TorchSharp ops, and the reason is logged once.
/// </summary>
public static class FusedOps
{
    private static readonly ConcurrentDictionary<string, bool> LoggedReasons = new();

    /// <summary>Gets or sets the logger that reports, once per reason, when the composed fallback runs.</summary>
    /// <value>The default is <see cref="NullLogger.Instance"/>.</value>
    public static ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Gets or sets a value indicating whether the CUDA kernels may be used (false forces the composed ops).</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public static bool CudaKernelsEnabled { get; set; } = true;

    /// <summary>
    /// y = x * rsqrt(mean(x², last dim) + eps) * weight, computed in float32 for float32 and bfloat16 inputs.
    /// </summary>
    /// <param name="input">Any shape [..., hidden].</param>
    /// <param name="weight">[hidden], the same element type as <paramref name="input"/>.</param>
    /// <param name="eps">Added to the mean square; Llama uses 1e-5 or 1e-6.</param>
    /// <returns>A tensor shaped and typed like <paramref name="input"/>.</returns>
    public static Tensor RmsNorm(Tensor input, Tensor weight, double eps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() != 1 || input.dim() == 0 || input.shape[^1] != weight.shape[0])
        {
            throw new ArgumentException(
                $"RmsNorm needs weight [hidden] matching input [..., hidden]; got input [{string.Join(", ", input.shape)}], weight [{string.Join(", ", weight.shape)}].");
        }

        if (eps < 0 || !double.IsFinite(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite, non-negative number.");
        }

        if (Kernels(input, weight) is { } kernels && kernels.SupportsRmsNorm(input))
        {
            return RmsNormFunction.apply(input, weight, eps, kernels);
        }

        var compute = ComposedFusedOpKernels.ComputeType(input);
        var x = input.to_type(compute);
        var normalized = x * rsqrt(x.pow(HeldScalars.Of(2L)).mean(new long[] { -1 }, keepdim: true).add(HeldScalars.Of(eps), HeldScalars.One));
        return (normalized * weight.to_type(compute)).to_type(input.dtype);
    }

    /// <summary>
    /// Rotary position embedding in the Hugging Face convention: x * cos + rotate_half(x) * sin, where
    /// rotate_half(x) = cat(-x[..., D/2:], x[..., :D/2]).
    /// </summary>
    /// <param name="input">Queries or keys, [batch, heads, seq, headDim] (the layout after the attention transpose).</param>
    /// <param name="cos">[seq, headDim], [batch, seq, headDim] or [batch, 1, seq, headDim]; no gradient flows into it.</param>
    /// <param name="sin">Shaped like <paramref name="cos"/>.</param>
    /// <returns>A tensor shaped and typed like <paramref name="input"/>.</returns>
    public static Tensor Rotary(Tensor input, Tensor cos, Tensor sin)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(cos);
        ArgumentNullException.ThrowIfNull(sin);
        if (input.dim() != 4 || input.shape[^1] % 2 != 0)
        {
            throw new ArgumentException($"Rotary needs input [batch, heads, seq, headDim] with an even headDim; got [{string.Join(", ", input.shape)}].");
        }

        if (!cos.shape.SequenceEqual(sin.shape) || cos.shape[^1] != input.shape[^1])
        {
            throw new ArgumentException($"cos [{string.Join(", ", cos.shape)}] and sin [{string.Join(", ", sin.shape)}] must match each other and end in headDim {input.shape[^1]}.");
        }

        var tableOnInputDevice = cos.device_type == input.device_type && cos.device_index == input.device_index;
        if (!cos.requires_grad && !sin.requires_grad && tableOnInputDevice && Kernels(input) is { } kernels)
        {
            return RotaryFunction.apply(input, cos, sin, kernels);
        }

        var compute = ComposedFusedOpKernels.ComputeType(input);
        var half = input.shape[^1] / 2;
        var x = input.to_type(compute);
        var rotated = cat(new[] { -x.narrow(-1, half, half), x.narrow(-1, 0, half) }, -1);
        // [seq, dim] and [batch, 1, seq, dim] broadcast over heads as they are; [batch, seq, dim] once unsqueezed.
        var c = cos.dim() == 3 ? cos.unsqueeze(1) : cos;
        var s = sin.dim() == 3 ? sin.unsqueeze(1) : sin;
        return (x * c.to_type(compute)).add(rotated * s.to_type(compute), HeldScalars.One).to_type(input.dtype);
    }

    /// <summary>silu(gate) * up, computed in float32 for float32 and bfloat16 inputs.</summary>
    /// <param name="gate">The gate projection's output.</param>
    /// <param name="up">The up projection's output, shaped like <paramref name="gate"/>.</param>
    /// <returns>A tensor shaped and typed like <paramref name="gate"/>.</returns>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        if (!gate.shape.SequenceEqual(up.shape))
        {
            throw new ArgumentException($"SwiGlu needs gate and up of one shape; got [{string.Join(", ", gate.shape)}] and [{string.Join(", ", up.shape)}].");
        }

        if (Kernels(gate, up) is { } kernels)
        {
            return SwiGluFunction.apply(gate, up, kernels);
        }

        var compute = ComposedFusedOpKernels.ComputeType(gate);
        return (nn.functional.silu(gate.to_type(compute)) * up.to_type(compute)).to_type(gate.dtype);
    }

    private static CudaFusedOpKernels? Kernels(Tensor first, params Tensor[] others)
    {
        if (!CudaKernelsEnabled)
        {
            LogFallbackOnce("the CUDA kernels are switched off (FusedOps.CudaKernelsEnabled = false)", LogLevel.Debug);
            return null;
        }

        var kernels = CudaFusedOpKernels.TryCreate(out var reason, first, others);
        if (kernels is null)
        {
            // Not having CUDA tensors at all is expected on CPU; CUDA tensors without kernels deserve attention.
            LogFallbackOnce(reason, first.device_type == DeviceType.CUDA ? LogLevel.Warning : LogLevel.Debug);
        }

        return kernels;
    }

    private static void LogFallbackOnce(string reason, LogLevel level)
    {
        if (LoggedReasons.TryAdd(reason, true))
        {
            Logger.Log(level, "Fused CUDA kernels not used ({Reason}); running composed TorchSharp ops instead.", reason);
        }
    }

    /// <summary>
    /// Frees the gradient tensors that Srt's custom autograd functions (fused loss, RMSNorm, SwiGLU, rotary) handed to
    /// libtorch from the last backward that ran on <paramref name="device"/>'s autograd thread. Earlier ones are freed
    /// by the next backward there; call this after an optimizer step in a training loop of your own on CUDA to free the
    /// last one (for the fused loss it is as large as the lm_head weight). <c>TorchSharpTrainer</c> calls it itself.
    /// Runs a one-element backward on that device; safe while other threads train.
    /// </summary>
    /// <param name="device">The device the model trains on; on the CPU it only drains the calling thread.</param>
    public static void ReleaseBackwardOutputs(Device device) => BackwardOutputs.Release(device);
}
