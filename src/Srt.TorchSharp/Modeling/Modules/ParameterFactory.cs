using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Creates uninitialised parameters: weights are either loaded from a checkpoint or initialised explicitly by
/// <see cref="LlamaForCausalLM.Create"/>, so paying for a random init here would be wasted time on large models.
/// </summary>
internal static class ParameterFactory
{
    public static Parameter Empty(ScalarType dtype, Device device, params long[] shape) =>
        new(torch.empty(shape, dtype, device), requires_grad: true);
}
