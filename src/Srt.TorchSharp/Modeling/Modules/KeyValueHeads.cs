using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>Grouped-query attention's sharing of key/value heads (Hugging Face's <c>repeat_kv</c>).</summary>
internal static class KeyValueHeads
{
    /// <summary>Repeats each of the <paramref name="keyValueHeads"/> heads of <paramref name="states"/>
    /// [B, kv_heads, T, D] for the heads / kv_heads query heads it serves: [B, heads, T, D].</summary>
    public static Tensor Repeat(Tensor states, long heads, long keyValueHeads)
    {
        if (heads == keyValueHeads)
        {
            return states;
        }
        var (batch, length, headDim) = (states.shape[0], states.shape[2], states.shape[3]);
        return states.unsqueeze(2)
            .expand(batch, keyValueHeads, heads / keyValueHeads, length, headDim)
            .reshape(batch, heads, length, headDim);
    }
}
