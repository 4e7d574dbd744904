namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// A token that is matched whole in input text before the model's own segmentation runs, as Hugging Face's
/// <c>added_tokens</c> are (chat markers such as <c>&lt;|im_end|&gt;</c>, BOS/EOS, control tokens).
/// </summary>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Id">The token id.</param>
/// <param name="IsSpecial">Whether <see cref="ModelTokenizer.Decode"/> drops it when asked to skip special tokens.</param>
/// <param name="StripLeft">Whether whitespace just before the token is swallowed by it (<c>lstrip</c>).</param>
/// <param name="StripRight">Whether whitespace just after the token is swallowed by it (<c>rstrip</c>).</param>
public sealed record AddedToken(string Content, int Id, bool IsSpecial, bool StripLeft = false, bool StripRight = false);
