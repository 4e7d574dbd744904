using System.Text.RegularExpressions;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// One Hugging Face <c>Split</c> pre-tokenizer step: which of the regex matches and the text between them stay
/// as pieces (Isolated keeps both; Removed keeps the gaps, or with <c>invert</c> the matches).
/// </summary>
internal sealed record RegexSplit(Regex Regex, bool KeepMatches, bool KeepGaps)
{
    /// <summary>Splits every piece of <paramref name="pieces"/> and returns the new pieces in order.</summary>
    public List<string> Apply(List<string> pieces)
    {
        var result = new List<string>(pieces.Count * 4);
        foreach (string piece in pieces)
        {
            int last = 0;
            foreach (var (start, length) in AstralSafeRegex.Matches(Regex, piece))
            {
                if (KeepGaps && start > last)
                {
                    result.Add(piece[last..start]);
                }

                if (KeepMatches)
                {
                    result.Add(piece.Substring(start, length));
                }

                last = start + length;
            }

            if (KeepGaps && last < piece.Length)
            {
                result.Add(piece[last..]);
            }
        }

        return result;
    }
}
