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
    public override Tensor forward(Tensor inputIds)
    {
        using var flat = inputIds.reshape(-1);
        using var rows = _weight.index_select(0, flat);
        return rows.view(inputIds.shape[0], inputIds.shape[1], _weight.shape[1]);
    }
}
