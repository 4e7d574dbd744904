using TorchSharp;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// Forward and backward of the fused operations, as the autograd functions call them. Two implementations: the CUDA
/// kernels (<see cref="CudaFusedOpKernels"/>) and the same formulas in composed TorchSharp ops
/// (<see cref="ComposedFusedOpKernels"/>, which lets the autograd wiring be tested on CPU).
/// </summary>
internal interface IFusedOpKernels
{
    /// <summary>RMSNorm over the last dimension; also returns 1/rms per row (float32 or float64, shape [rows]).</summary>
    (torch.Tensor Output, torch.Tensor InverseRms) RmsNormForward(torch.Tensor input, torch.Tensor weight, double eps);

    /// <summary>Gradients of RMSNorm with respect to the input and the weight.</summary>
    (torch.Tensor InputGrad, torch.Tensor WeightGrad) RmsNormBackward(torch.Tensor gradOutput, torch.Tensor input,
        torch.Tensor weight, torch.Tensor inverseRms);

    /// <summary>Rotary embedding (rotate_half convention); <paramref name="inverse"/> applies its transpose.</summary>
    torch.Tensor Rotary(torch.Tensor input, torch.Tensor cos, torch.Tensor sin, bool inverse);

    /// <summary>silu(gate) * up.</summary>
    torch.Tensor SwiGluForward(torch.Tensor gate, torch.Tensor up);

    /// <summary>Gradients of SwiGLU with respect to gate and up.</summary>
    (torch.Tensor GateGrad, torch.Tensor UpGrad) SwiGluBackward(torch.Tensor gradOutput, torch.Tensor gate, torch.Tensor up);
}
