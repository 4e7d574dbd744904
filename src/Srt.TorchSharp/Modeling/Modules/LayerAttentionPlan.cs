using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// Which rotary table and sliding window each layer uses (<see cref="LlamaConfig.RotaryOf"/>,
/// <see cref="LlamaConfig.SlidingWindowOf"/>), and the per-pass contexts built from them: one per distinct
/// (rotary, window) pair, so a model whose layers all agree builds exactly one context, as before.
/// </summary>
internal sealed class LayerAttentionPlan : IDisposable
{
    private readonly RotaryEmbedding[] _rotaries;
    private readonly (int Rotary, int? Window)[] _kinds;
    private readonly int[] _kindOfLayer;

    public LayerAttentionPlan(LlamaConfig config)
    {
        var rotarySettings = new List<(double Theta, RopeScaling? Scaling)>();
        var kinds = new List<(int, int?)>();
        _kindOfLayer = new int[config.NumHiddenLayers];
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var rotary = config.RotaryOf(layer);
            var rotaryIndex = rotarySettings.IndexOf(rotary);
            if (rotaryIndex < 0)
            {
                rotaryIndex = rotarySettings.Count;
                rotarySettings.Add(rotary);
            }
            var kind = (rotaryIndex, config.SlidingWindowOf(layer));
            var kindIndex = kinds.IndexOf(kind);
            if (kindIndex < 0)
            {
                kindIndex = kinds.Count;
                kinds.Add(kind);
            }
            _kindOfLayer[layer] = kindIndex;
        }
        _rotaries = rotarySettings.Select(r => new RotaryEmbedding(config, r.Theta, r.Scaling)).ToArray();
        _kinds = [.. kinds];
    }

    /// <summary>The rotary tables of the first layer (the only ones unless layers differ).</summary>
    public RotaryEmbedding FirstRotary => _rotaries[_kinds[_kindOfLayer[0]].Rotary];

    /// <summary>Contexts for a pass over <paramref name="inputIds"/>, indexed by layer. Tensors belong to the caller's scope.</summary>
    public AttentionContext[] Build(Tensor inputIds, Tensor? attentionMask, KvCache? cache, ScalarType dtype, Device device)
    {
        var past = cache?.Length ?? 0;
        var tokens = inputIds.shape[1];
        var byRotary = new AttentionContext?[_rotaries.Length];
        var byKind = _kinds.Select(kind =>
        {
            var context = byRotary[kind.Rotary] ??= AttentionInputs.Build(inputIds, attentionMask, cache, _rotaries[kind.Rotary], dtype, device);
            return kind.Window is { } window ? SlidingWindowMask.Apply(context, window, past, tokens, device) : context;
        }).ToArray();
        return _kindOfLayer.Select(kind => byKind[kind]).ToArray();
    }

    /// <summary>Contexts for a packed pass (several sequences per row, positions restarting in each), indexed by layer.
    /// Tensors belong to the caller's scope.</summary>
    public AttentionContext[] BuildPacked(
        Tensor inputIds, Tensor positionIds, Tensor sequenceIds, PackedSegments? segments, ScalarType dtype, Device device)
    {
        var byRotary = new AttentionContext?[_rotaries.Length];
        var byKind = _kinds.Select(kind =>
        {
            var context = byRotary[kind.Rotary] ??=
                PackedAttentionInputs.Build(inputIds, positionIds, sequenceIds, segments, _rotaries[kind.Rotary], dtype, device);
            // Inside one sequence a row's columns are consecutive positions, so a window of columns is a window of the
            // sequence's tokens; the mask already keeps every query inside its own sequence.
            return kind.Window is { } window ? SlidingWindowMask.Apply(context, window, past: 0, inputIds.shape[1], device) : context;
        }).ToArray();
        return _kindOfLayer.Select(kind => byKind[kind]).ToArray();
    }

    /// <summary>Contexts for one continuous-batching step of <paramref name="cache"/>, indexed by layer. With
    /// <paramref name="kernel"/>, the contexts carry a <see cref="SlotDecodeStep"/> instead of per-step angles and masks.</summary>
    public AttentionContext[] BuildForSlots(SlotKvCache cache, ScalarType dtype, Device device, bool kernel = false)
    {
        if (kernel)
        {
            var positions = cache.StepPositions();
            var width = positions.Max() + 1;
            var tables = _rotaries.Select(rotary => rotary.Tables(width, dtype, device)).ToArray();
            var kinds = _kinds.Select(kind =>
            {
                var (cos, sin) = tables[kind.Rotary];
                return new AttentionContext(cos, sin, null, IsCausal: false, cache)
                {
                    SlotStep = new SlotDecodeStep(cache, positions, cos, sin, kind.Window),
                };
            }).ToArray();
            return _kindOfLayer.Select(kind => kinds[kind]).ToArray();
        }
        var byRotary = new AttentionContext?[_rotaries.Length];
        var byKind = _kinds.Select(kind =>
        {
            var context = byRotary[kind.Rotary] ??= AttentionInputs.BuildForSlots(cache, _rotaries[kind.Rotary], dtype, device);
            return kind.Window is { } window ? SlidingWindowMask.ApplyForSlots(context, window, cache, device) : context;
        }).ToArray();
        return _kindOfLayer.Select(kind => byKind[kind]).ToArray();
    }

    public void Dispose()
    {
        foreach (var rotary in _rotaries)
        {
            rotary.Dispose();
        }
    }
}
