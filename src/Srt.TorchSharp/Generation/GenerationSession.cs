using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Generation;

/// <summary>
/// The tensor side of one generation call: left-padded prompts, the KV cache and the attention mask. Each step is
/// self-contained (its own dispose scope and no_grad block, closed before it returns), so nothing tensor-related
/// is open between steps and only the cache and the mask survive them.
/// </summary>
internal sealed class GenerationSession : IDisposable
{
    private readonly LlamaForCausalLM _model;
    private readonly TokenSampler _sampler;
    private readonly KvCache _cache;
    private readonly Tensor? _mask;
    private readonly long[] _promptIds;
    private readonly int _batch;
    private readonly int _promptLength;

    public GenerationSession(LlamaForCausalLM model, TokenSampler sampler, IReadOnlyList<IReadOnlyList<int>> prompts, long padId, int maxNewTokens)
    {
        _model = model;
        _sampler = sampler;
        _batch = prompts.Count;
        _promptLength = prompts.Max(p => p.Count);
        var width = _promptLength + maxNewTokens;

        // Left padding keeps every row's last prompt token in the last column, so one step feeds all rows at once.
        _promptIds = new long[_batch * _promptLength];
        var mask = new long[_batch * width];
        Array.Fill(mask, 1L);
        var padded = false;
        for (var row = 0; row < _batch; row++)
        {
            var padding = _promptLength - prompts[row].Count;
            padded |= padding > 0;
            for (var column = 0; column < _promptLength; column++)
            {
                _promptIds[row * _promptLength + column] = column < padding ? padId : prompts[row][column - padding];
            }
            Array.Fill(mask, 0L, row * width, padding);
        }
        _mask = padded ? tensor(mask, [_batch, width], ScalarType.Int64, model.Device).DetachFromDisposeScope() : null;
        _cache = model.CreateKvCache(width);
    }

    /// <summary>Runs the prompts through the model, filling the cache, and returns each row's first new token.</summary>
    public long[] Prefill()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(_promptIds, [_batch, _promptLength], ScalarType.Int64, _model.Device);
        return SampleLast(input);
    }

    /// <summary>Feeds one token per row (finished rows get padding) and returns the next token of each row.</summary>
    public long[] Decode(long[] tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(tokens, [_batch, 1], ScalarType.Int64, _model.Device);
        return SampleLast(input);
    }

    private long[] SampleLast(Tensor input)
    {
        var mask = _mask?.narrow(1, 0, _cache.Length + input.shape[1]);
        var hidden = _model.ForwardHidden(input, mask, _cache);
        // Project only the last position: prefill would otherwise build [B, T, vocab] logits it never reads.
        var logits = _model.ComputeLogits(hidden.select(1, hidden.shape[1] - 1));
        return _sampler.Sample(logits);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _mask?.Dispose();
    }
}
