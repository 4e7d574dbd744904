using System.Diagnostics.CodeAnalysis;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>The token embedding table (<c>embed_tokens.weight</c> [vocab, hidden]).</summary>
internal sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;

    public TokenEmbedding(long vocabSize, long hiddenSize, ScalarType dtype, Device device)
        : base(nameof(TokenEmbedding))
    {
        _weight = ParameterFactory.Empty(dtype, device, vocabSize, hiddenSize);
        RegisterComponents();
    }

    public Parameter Weight => _weight;

    /// <summary>Looks up <paramref name="inputIds"/> [B, T] and returns [B, T, hidden].</summary>
    /// <exception cref="ArgumentException">An id is negative or not below the vocabulary size.</exception>
    public override Tensor forward(Tensor inputIds)
    {
        using var flat = inputIds.reshape(-1);
        ThrowIfOutOfVocabulary(flat);
        using var rows = _weight.index_select(0, flat);
        return rows.view(inputIds.shape[0], inputIds.shape[1], _weight.shape[1]);
    }

    // libtorch's index_select would fail with an opaque native error (or a device-side assert on CUDA).
    [SuppressMessage("Usage", "CA2208", Justification = "Names the model's parameter: the input ids it was given.")]
    private void ThrowIfOutOfVocabulary(Tensor flat)
    {
        if (flat.NumberOfElements == 0)
        {
            return;
        }
        var vocabulary = _weight.shape[0];
        using var low = flat.min();
        using var high = flat.max();
        var (min, max) = (low.item<long>(), high.item<long>());
        if (min < 0 || max >= vocabulary)
        {
            var id = min < 0 ? min : max;
            throw new ArgumentException(
                $"Token id {id} is outside the vocabulary: ids must be in [0, {vocabulary}) (vocab_size is {vocabulary}).", "inputIds");
        }
    }
}
