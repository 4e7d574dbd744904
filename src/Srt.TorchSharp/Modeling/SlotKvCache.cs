using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling;

/// <summary>
/// The KV cache of continuous batching: a fixed number of slots, each holding one sequence with its own length.
/// Buffers are [slots, kv_heads, capacity, head_dim] per layer, allocated once, so memory is bounded by
/// slots × capacity tokens whatever the prompts. A step feeds one token to each of the first
/// <see cref="ActiveSlots"/> slots; each writes its key/value at its own length and attends to its own cached tokens
/// only (the caller masks the columns past each slot's length).
/// </summary>
/// <remarks>Buffers start zeroed: masked columns are never NaN, so a masked score stays masked.</remarks>
internal sealed class SlotKvCache : IAttentionCache, IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly long[] _lengths;
    private Tensor? _writeColumns;
    private long _width;

    public SlotKvCache(LlamaConfig config, int slots, long capacity, ScalarType dtype, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Slots = slots;
        Capacity = capacity;
        _lengths = new long[slots];
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        long[] shape = [slots, config.KeyValueHeadCount, capacity, config.HeadDimension];
        for (var layer = 0; layer < _keys.Length; layer++)
        {
            _keys[layer] = zeros(shape, dtype, device).DetachFromDisposeScope();
            _values[layer] = zeros(shape, dtype, device).DetachFromDisposeScope();
        }
    }

    public int Slots { get; }

    /// <summary>Tokens one slot can hold: its prompt plus everything it generates.</summary>
    public long Capacity { get; }

    /// <summary>How many leading slots the next step runs; the generator keeps the running sequences packed at the front.</summary>
    public int ActiveSlots { get; set; }

    /// <summary>Tokens cached in <paramref name="slot"/>, i.e. the position of its next token.</summary>
    public long Length(int slot) => _lengths[slot];

    /// <summary>Copies a one-row prefilled cache into <paramref name="slot"/>, replacing what it held.</summary>
    public void Load(int slot, KvCache source)
    {
        if (source.Length > Capacity)
        {
            throw new InvalidOperationException($"SlotKvCache: {source.Length} prompt tokens exceed the slot capacity of {Capacity}.");
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var layer = 0; layer < _keys.Length; layer++)
        {
            var (keys, values) = source.Cached(layer);
            _keys[layer][slot].narrow(1, 0, source.Length).copy_(keys[0]);
            _values[layer][slot].narrow(1, 0, source.Length).copy_(values[0]);
        }
        _lengths[slot] = source.Length;
    }

    /// <summary>Moves the sequence of slot <paramref name="from"/> into slot <paramref name="to"/> (to keep running slots packed).</summary>
    public void Move(int from, int to)
    {
        var length = _lengths[from];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var layer = 0; layer < _keys.Length; layer++)
        {
            _keys[layer][to].narrow(1, 0, length).copy_(_keys[layer][from].narrow(1, 0, length));
            _values[layer][to].narrow(1, 0, length).copy_(_values[layer][from].narrow(1, 0, length));
        }
        _lengths[to] = length;
        _lengths[from] = 0;
    }

    /// <summary>
    /// Starts a one-token step of the active slots: returns each slot's position [active] and the number of key columns
    /// the step attends over (the longest active length + 1). Tensors belong to the caller's dispose scope.
    /// </summary>
    public (Tensor Positions, long Width) BeginStep(Device device)
    {
        var positions = StepPositions();
        var columns = tensor(positions, [positions.Length], ScalarType.Int64, device);
        _writeColumns = columns;
        return (columns, _width);
    }

    /// <summary>
    /// Starts a one-token step whose attention writes the cache itself (<see cref="Kernels.Cpu.SlotDecodeAttention"/>
    /// through <see cref="Keys"/> and <see cref="Values"/>, not <see cref="IAttentionCache.Append"/>): returns each
    /// active slot's position, checked against the capacity.
    /// </summary>
    public long[] StepPositions()
    {
        var active = ActiveSlots;
        if (active <= 0)
        {
            throw new InvalidOperationException("SlotKvCache: no active slot to step.");
        }
        var positions = new long[active];
        Array.Copy(_lengths, positions, active);
        _width = positions.Max() + 1;
        if (_width > Capacity)
        {
            throw new InvalidOperationException($"SlotKvCache: a slot would exceed its capacity of {Capacity} tokens.");
        }
        return positions;
    }

    /// <summary>The key buffer [slots, kv_heads, capacity, head_dim] of <paramref name="layer"/>; owned by the cache.</summary>
    public Tensor Keys(int layer) => _keys[layer];

    /// <summary>The value buffer of <paramref name="layer"/>, shaped as <see cref="Keys"/>; owned by the cache.</summary>
    public Tensor Values(int layer) => _values[layer];

    (Tensor Keys, Tensor Values) IAttentionCache.Append(int layer, Tensor keys, Tensor values)
    {
        if (_writeColumns is not { } columns || keys.shape[2] != 1 || keys.shape[0] != ActiveSlots)
        {
            throw new InvalidOperationException("SlotKvCache takes one token per active slot, after BeginStep.");
        }
        var active = ActiveSlots;
        var index = columns.view(active, 1, 1, 1).expand(active, keys.shape[1], 1, keys.shape[3]);
        var keyBuffer = _keys[layer].narrow(0, 0, active);
        var valueBuffer = _values[layer].narrow(0, 0, active);
        using (no_grad())
        {
            keyBuffer.scatter_(2, index, keys);
            valueBuffer.scatter_(2, index, values);
        }
        return (keyBuffer.narrow(2, 0, _width), valueBuffer.narrow(2, 0, _width));
    }

    void IAttentionCache.Advance(long tokens)
    {
        for (var slot = 0; slot < ActiveSlots; slot++)
        {
            _lengths[slot] += tokens;
        }
        _writeColumns = null;
    }

    public void Dispose()
    {
        foreach (var buffer in _keys.Concat(_values))
        {
            buffer.Dispose();
        }
    }
}
