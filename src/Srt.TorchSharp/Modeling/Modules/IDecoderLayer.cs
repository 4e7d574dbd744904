using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>One decoder layer of the stack, whatever its family (Llama pre-norm, Gemma sandwich norms).</summary>
internal interface IDecoderLayer
{
    /// <summary>Runs the layer over <paramref name="hidden"/> [B, T, hidden] with this layer's attention context.</summary>
    Tensor Forward(Tensor hidden, AttentionContext context);
}
