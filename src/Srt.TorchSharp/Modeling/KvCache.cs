using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling;

/// <summary>
/// Keys and values of the tokens a <see cref="LlamaForCausalLM"/> has already processed, per layer, so that each
/// new step attends to them without recomputing. Buffers are preallocated [batch, kv_heads, capacity, head_dim] and
/// grow by doubling; every forward pass that receives the cache appends its tokens and advances <see cref="Length"/>.
/// </summary>
/// <remarks>
/// <para>Use for inference under <c>torch.no_grad()</c>. One cache serves one batch: keep the same batch size and
/// row order across steps. With padding, pass an attention mask covering cached and new tokens
/// ([batch, <see cref="Length"/> + new]); cached padding stays masked because the mask says so each step.</para>
/// <para>The cache owns its buffers (they are kept out of dispose scopes); dispose it when generation ends.</para>
/// </remarks>
public sealed class KvCache : IDisposable, IAttentionCache
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly long _initialCapacity;
    private bool _disposed;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="layerCount">Decoder layers of the model (<see cref="LlamaConfig.NumHiddenLayers"/>).</param>
    /// <param name="initialCapacity">Token slots to allocate at the first step; grows by doubling when exceeded.</param>
    public KvCache(int layerCount, long initialCapacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _keys = new Tensor?[layerCount];
        _values = new Tensor?[layerCount];
        _initialCapacity = initialCapacity;
    }

    /// <summary>Layers the cache holds.</summary>
    public int LayerCount => _keys.Length;

    /// <summary>Tokens cached per row (padding included), i.e. the position the next token starts at.</summary>
    public long Length { get; private set; }

    /// <summary>Token slots allocated per row.</summary>
    public long Capacity => _keys[0]?.shape[2] ?? 0;

    /// <summary>Forgets cached tokens without freeing buffers, so the cache can serve a new batch of the same size.</summary>
    public void Reset() => Length = 0;

    /// <summary>Drops the tokens after <paramref name="length"/> (for example a rejected draft or a stop sequence).</summary>
    public void Truncate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    /// <summary>
    /// Writes this step's keys/values [B, kv_heads, T, D] after the cached ones and returns views of all of them
    /// [B, kv_heads, Length + T, D]. <see cref="Length"/> moves only at <see cref="Advance"/>, once all layers ran.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var needed = Length + keys.shape[2];
        if (_keys[layer] is not { } keyBuffer || _values[layer] is not { } valueBuffer
            || keyBuffer.shape[0] != keys.shape[0] || keyBuffer.dtype != keys.dtype)
        {
            if (Length > 0)
            {
                throw new InvalidOperationException(
                    $"KvCache: layer {layer} receives batch {keys.shape[0]} ({keys.dtype}) but holds {Length} tokens of a different batch; Reset() first.");
            }
            Replace(layer, Allocate(keys, Math.Max(_initialCapacity, needed)), Allocate(values, Math.Max(_initialCapacity, needed)));
        }
        else if (needed > keyBuffer.shape[2])
        {
            var capacity = Math.Max(needed, 2 * keyBuffer.shape[2]);
            Replace(layer, Grow(keyBuffer, keys, capacity), Grow(valueBuffer, values, capacity));
        }
        using (no_grad())
        {
            _keys[layer]!.narrow(2, Length, keys.shape[2]).copy_(keys);
            _values[layer]!.narrow(2, Length, values.shape[2]).copy_(values);
        }
        return (_keys[layer]!.narrow(2, 0, needed), _values[layer]!.narrow(2, 0, needed));
    }

    /// <summary>Marks <paramref name="tokens"/> new tokens as cached; called once per forward pass.</summary>
    internal void Advance(long tokens) => Length += tokens;

    (Tensor Keys, Tensor Values) IAttentionCache.Append(int layer, Tensor keys, Tensor values) => Append(layer, keys, values);

    void IAttentionCache.Advance(long tokens) => Advance(tokens);

    /// <summary>The cached keys and values of <paramref name="layer"/> [batch, kv_heads, <see cref="Length"/>, head_dim]:
    /// views of the buffers, valid until the next append; they belong to the caller's dispose scope.</summary>
    internal (Tensor Keys, Tensor Values) Cached(int layer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_keys[layer] is not { } keys || _values[layer] is not { } values)
        {
            throw new InvalidOperationException($"KvCache: layer {layer} holds no tokens yet.");
        }
        return (keys.narrow(2, 0, Length), values.narrow(2, 0, Length));
    }

    private static Tensor Allocate(Tensor like, long capacity) =>
        empty([like.shape[0], like.shape[1], capacity, like.shape[3]], like.dtype, like.device).DetachFromDisposeScope();

    private Tensor Grow(Tensor buffer, Tensor like, long capacity)
    {
        var grown = Allocate(like, capacity);
        using (no_grad())
        {
            grown.narrow(2, 0, Length).copy_(buffer.narrow(2, 0, Length));
        }
        return grown;
    }

    private void Replace(int layer, Tensor keys, Tensor values)
    {
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = keys;
        _values[layer] = values;
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        for (var layer = 0; layer < _keys.Length; layer++)
        {
            Replace(layer, null!, null!);
        }
    }
}
