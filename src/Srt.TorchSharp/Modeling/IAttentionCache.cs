using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling;

/// <summary>Where attention layers keep the keys and values of earlier tokens: one shared length for a batch
/// (<see cref="KvCache"/>) or one length per slot (<see cref="SlotKvCache"/>).</summary>
internal interface IAttentionCache
{
    /// <summary>Stores this step's keys/values [B, kv_heads, T, D] and returns the keys/values to attend over.</summary>
    (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values);

    /// <summary>Marks <paramref name="tokens"/> new tokens per row as cached, once all layers ran.</summary>
    void Advance(long tokens);
}
