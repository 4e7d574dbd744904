namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>How <see cref="ModelTokenizer.FromPretrained(string, ModelTokenizerOptions)"/> loads a tokenizer.</summary>
public sealed class ModelTokenizerOptions
{
    /// <summary>Which tokenizer file to use; null prefers <c>tokenizer.json</c> and falls back to <c>tokenizer.model</c>.</summary>
    /// <value>The default is null.</value>
    public TokenizerFileKind? FileKind { get; set; }

    /// <summary>
    /// Whether text that spells a special token (<c>&lt;/s&gt;</c>, <c>&lt;|im_end|&gt;</c>, <c>[INST]</c>,
    /// <c>&lt;unk&gt;</c>) inside text passed to <see cref="ModelTokenizer.Encode"/> or inside chat message content
    /// becomes that token's id, as Hugging Face tokenizers do by default.
    /// </summary>
    /// <remarks>
    /// Off, such text is encoded as the characters it is made of, as the sentencepiece library does: an instruction,
    /// response, critique or refinement that quotes <c>&lt;/s&gt;</c> cannot end its own training sequence or open a
    /// forged turn. The markers a built-in chat template writes are special tokens either way, and non-special added
    /// tokens are matched either way. Turn it on only to reproduce Hugging Face's ids for text that deliberately
    /// contains special tokens.
    /// </remarks>
    /// <value>The default is false.</value>
    public bool MatchSpecialTokensInText { get; set; }
}
