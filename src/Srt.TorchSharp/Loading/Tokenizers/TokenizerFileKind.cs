namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>Which file of a model folder a <see cref="ModelTokenizer"/> was built from.</summary>
public enum TokenizerFileKind
{
    /// <summary>A Hugging Face <c>tokenizer.json</c> (follows Hugging Face tokenizers' conventions).</summary>
    HuggingFaceJson,

    /// <summary>A SentencePiece <c>tokenizer.model</c> (follows the sentencepiece library's conventions).</summary>
    SentencePieceModel,
}
