using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// The model-specific half of a <see cref="ModelTokenizer"/>: encodes the plain sections between added tokens and
/// turns regular token ids back into bytes. Added tokens are handled once, by <see cref="ModelTokenizer"/>.
/// </summary>
internal abstract class TokenizerModelCodec
{
    /// <summary>The Microsoft.ML.Tokenizers tokenizer doing the segmentation.</summary>
    public abstract Tokenizer Inner { get; }

    /// <summary>Whether decoding drops one leading space from the first token (SentencePiece's dummy prefix).</summary>
    public abstract bool StripsLeadingSpace { get; }

    /// <summary>One past the largest id of the model's own vocabulary.</summary>
    public abstract int VocabularySize { get; }

    /// <summary>
    /// Encodes one plain section; <paramref name="position"/> says where it stands, which decides whether
    /// SentencePiece-style models prepend their "▁".
    /// </summary>
    public abstract void EncodeSection(string text, SectionPosition position, List<int> ids);

    /// <summary>Appends the bytes a regular token stands for.</summary>
    public abstract void AppendTokenBytes(int id, List<byte> bytes);

    public abstract int? TokenToId(string token);

    public abstract string? IdToToken(int id);
}

/// <summary>Where a plain text section stands in the input being encoded.</summary>
internal enum SectionPosition
{
    /// <summary>The section begins the input.</summary>
    InputStart,

    /// <summary>The section follows an added token inside the input.</summary>
    AfterAddedToken,

    /// <summary>The input continues earlier text (a completion after its prompt): nothing is prepended.</summary>
    Continuation,
}
