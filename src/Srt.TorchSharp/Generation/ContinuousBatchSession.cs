using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Generation;

/// <summary>
/// The tensor side of continuous batching: a <see cref="SlotKvCache"/> of fixed size, a prefill that runs one new
/// prompt alone (exactly as it would run without batching) and copies its keys/values into a free slot, and a decode
/// step that feeds one token to every running slot at its own position. Like <see cref="GenerationSession"/>, each
/// call opens and closes its own dispose scope and no_grad block.
/// </summary>
internal sealed class ContinuousBatchSession : IDisposable
{
    private readonly LlamaForCausalLM _model;
    private readonly TokenSampler _sampler;
    private readonly SlotKvCache _slots;
    private readonly KvCache _prefillCache;
    private readonly int[] _sequences;

    public ContinuousBatchSession(LlamaForCausalLM model, TokenSampler sampler, int slots, long capacity, long longestPrompt)
    {
        _model = model;
        _sampler = sampler;
        _slots = model.CreateSlotKvCache(slots, capacity);
        // One row, reused for every prompt (Reset keeps its buffers); one spare column keeps its views strided as
        // in a one-prompt generation, so the prefill computes exactly what generating the prompt alone computes.
        _prefillCache = model.CreateKvCache(longestPrompt + 1);
        _sequences = new int[slots];
    }

    /// <summary>Gets the number of slots.</summary>
    public int Slots => _slots.Slots;

    /// <summary>Gets the number of running sequences; they occupy slots 0 .. Running - 1.</summary>
    public int Running => _slots.ActiveSlots;

    /// <summary>Gets the sequence (prompt index) that slot <paramref name="slot"/> runs.</summary>
    public int SequenceAt(int slot) => _sequences[slot];

    /// <summary>Runs <paramref name="prompt"/> through the model alone and returns its first new token; the sequence
    /// does not occupy a slot until <see cref="Admit"/>.</summary>
    public long Prefill(IReadOnlyList<int> prompt, int sequence)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _prefillCache.Reset();
        var ids = prompt.Select(id => (long)id).ToArray();
        var hidden = _model.ForwardHidden(tensor(ids, [1, ids.Length], ScalarType.Int64, _model.Device), null, _prefillCache);
        var logits = _model.ComputeLogits(hidden.select(1, hidden.shape[1] - 1));
        return _sampler.Sample(logits, [sequence])[0];
    }

    /// <summary>Puts the sequence prefilled last into the first free slot.</summary>
    public void Admit(int sequence)
    {
        var slot = _slots.ActiveSlots;
        if (slot >= _slots.Slots)
        {
            throw new InvalidOperationException("ContinuousBatchSession: every slot is taken.");
        }
        _slots.Load(slot, _prefillCache);
        _sequences[slot] = sequence;
        _slots.ActiveSlots = slot + 1;
    }

    /// <summary>Frees <paramref name="slot"/>; the last running slot moves into it, so running slots stay packed.</summary>
    public void Release(int slot)
    {
        var last = _slots.ActiveSlots - 1;
        if (slot != last)
        {
            _slots.Move(last, slot);
            _sequences[slot] = _sequences[last];
        }
        _slots.ActiveSlots = last;
    }

    /// <summary>Feeds <paramref name="tokens"/>[slot] to each running slot and returns each slot's next token.</summary>
    public long[] Decode(long[] tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var running = _slots.ActiveSlots;
        var input = tensor(tokens.AsSpan(0, running).ToArray(), [running, 1], ScalarType.Int64, _model.Device);
        var hidden = _model.ForwardHiddenSlots(input, _slots);
        var logits = _model.ComputeLogits(hidden.select(1, 0));
        return _sampler.Sample(logits, new ArraySegment<int>(_sequences, 0, running));
    }

    public void Dispose()
    {
        _slots.Dispose();
        _prefillCache.Dispose();
    }
}
