using TorchSharp;

namespace Srt.TorchSharp.Modeling;

/// <summary>Where and in which precision <see cref="LlamaForCausalLM"/> places its weights.</summary>
public sealed class ModelLoadOptions
{
    /// <summary>The parameter dtype: <see cref="torch.ScalarType.Float32"/> or <see cref="torch.ScalarType.BFloat16"/>
    /// (<see cref="torch.ScalarType.Float16"/> is accepted for CUDA). Checkpoint tensors are cast on load.</summary>
    /// <value>The default is float32.</value>
    public torch.ScalarType DType { get; set; } = torch.ScalarType.Float32;

    /// <summary>The device, as TorchSharp spells it: <c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>.</summary>
    /// <value>The default is <c>"cpu"</c>.</value>
    public string Device { get; set; } = "cpu";

    internal void Validate()
    {
        if (DType is not (torch.ScalarType.Float32 or torch.ScalarType.BFloat16 or torch.ScalarType.Float16))
        {
            throw new ArgumentException($"ModelLoadOptions.DType must be Float32, BFloat16 or Float16 (got {DType}).", nameof(DType));
        }
        if (string.IsNullOrWhiteSpace(Device))
        {
            throw new ArgumentException("ModelLoadOptions.Device must name a device such as \"cpu\" or \"cuda\".", nameof(Device));
        }
    }

    internal torch.Device ResolveDevice()
    {
        // Checked first: TorchSharp's own error for this case does not say what to do about it.
        if (Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !torch.cuda.is_available())
        {
            throw new ArgumentException(
                $"ModelLoadOptions.Device is '{Device}' but CUDA is not available: reference a TorchSharp CUDA backend package (instead of libtorch-cpu) and check the NVIDIA driver.",
                nameof(Device));
        }
        torch.Device device;
        try
        {
            device = torch.device(Device);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"ModelLoadOptions.Device '{Device}' is not a device TorchSharp knows: {e.Message}", nameof(Device), e);
        }
        return device;
    }
}
