using Srt.TorchSharp.Kernels.Cpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Generation;

/// <summary>
/// Picks the next token of every row from its logits: greedy (temperature 0) or sampled after temperature, top-k
/// and top-p filtering. Each row draws from its own seeded <see cref="torch.Generator"/>, so a prompt's sample
/// depends on its seed only, not on which other prompts share the batch.
/// </summary>
internal sealed class TokenSampler : IDisposable
{
    private readonly float _temperature;
    private readonly float _topP;
    private readonly int _topK;
    private readonly torch.Generator[] _generators;

    public TokenSampler(GenerationOptions options, IReadOnlyList<long> rowSeeds, Device device)
    {
        _temperature = options.Temperature;
        _topP = options.TopP;
        _topK = options.TopK;
        _generators = IsGreedy
            ? []
            : rowSeeds.Select(seed => new torch.Generator(unchecked((ulong)seed), device)).ToArray();
    }

    /// <summary>Gets whether decoding is greedy (temperature 0): no randomness at all.</summary>
    public bool IsGreedy => _temperature == 0f;

    /// <summary>Chooses one token per row from logits [B, vocab]; row <c>i</c> draws from generator <c>i</c>.
    /// Tensors made here belong to the caller's scope.</summary>
    public long[] Sample(Tensor logits) => Sample(logits, null);

    /// <summary>Chooses one token per row from logits [B, vocab]; row <c>i</c> draws from the generator of sequence
    /// <c>sequences[i]</c>, so a sequence samples the same whatever row (slot) it occupies.</summary>
    public long[] Sample(Tensor logits, IReadOnlyList<int>? sequences)
    {
        Tensor next;
        if (IsGreedy)
        {
            if (RowArgmax.TryArgmax(logits) is { } chosen)
            {
                return chosen;
            }
            next = logits.argmax(-1);
        }
        else
        {
            var scores = logits.to(ScalarType.Float32).div(HeldScalars.Of(_temperature));
            var vocabulary = scores.shape[1];
            if (_topK > 0 && _topK < vocabulary)
            {
                // Keep the k best scores (ties with the k-th score too, as Hugging Face's TopKLogitsWarper does).
                var kth = scores.topk(_topK, dim: -1).values.narrow(1, _topK - 1, 1);
                scores = scores.masked_fill(scores.lt(kth), HeldScalars.Of(double.NegativeInfinity));
            }
            if (_topP < 1f)
            {
                scores = KeepNucleus(scores, _topP);
            }
            var probabilities = scores.softmax(-1);

            // Exponential race: argmax(p / E) with E ~ Exp(1) draws from p, and lets each row use its own generator.
            var noise = empty_like(probabilities);
            for (var row = 0; row < noise.shape[0]; row++)
            {
                noise[row].exponential_(1.0, _generators[sequences is null ? row : sequences[row]]);
            }
            next = probabilities.div(noise.clamp_min_(HeldScalars.Of(1e-20))).argmax(-1);
        }
        return next.cpu().data<long>().ToArray();
    }

    /// <summary>Masks all but the smallest set of best tokens whose probability reaches <paramref name="topP"/>
    /// (the best token always stays).</summary>
    private static Tensor KeepNucleus(Tensor scores, float topP)
    {
        var (sorted, order) = scores.sort(-1, descending: true);
        var probabilities = sorted.softmax(-1);
        var before = probabilities.cumsum(-1).sub_(probabilities);
        var outside = before.gt(HeldScalars.Of(topP));
        var filtered = sorted.masked_fill(outside, HeldScalars.Of(double.NegativeInfinity));
        return full_like(scores, HeldScalars.Of(double.NegativeInfinity)).scatter_(-1, order, filtered);
    }

    public void Dispose()
    {
        foreach (var generator in _generators)
        {
            generator.Dispose();
        }
    }
}
