using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// One pre-norm decoder layer of a continuous-batching step as <see cref="SlotDecodeLayers"/> runs it:
/// <c>x + o_proj(attn(norm(x)))</c>, then <c>+ down_proj(silu(gate_proj(·)) · up_proj(·))</c> of its norm, with
/// separate q/k/v projections, optional biases, and the layer's slot cache, rotary tables and window.
/// </summary>
/// <remarks>
/// Weights as Hugging Face names them: the two norms' weights [hidden] with their ε; q_proj [heads·D, hidden], k_proj
/// and v_proj [kv_heads·D, hidden], o_proj [hidden, heads·D], gate_proj and up_proj [intermediate, hidden], down_proj
/// [hidden, intermediate], each with its bias or null. The layer's slot keys and values [slots, kv_heads, capacity, D]
/// are written at each slot's position; the rotary tables [positions, R] are null for a layer without rotary.
/// </remarks>
internal sealed record SlotDecodeLayer(
    Tensor InputNorm, Tensor PostAttentionNorm, double Epsilon,
    Tensor Query, Tensor? QueryBias, Tensor Key, Tensor? KeyBias, Tensor Value, Tensor? ValueBias,
    Tensor Output, Tensor? OutputBias,
    Tensor Gate, Tensor? GateBias, Tensor Up, Tensor? UpBias, Tensor Down, Tensor? DownBias,
    Tensor KeyCache, Tensor ValueCache, Tensor? Cos, Tensor? Sin, int Heads, int? Window, double Scale);
