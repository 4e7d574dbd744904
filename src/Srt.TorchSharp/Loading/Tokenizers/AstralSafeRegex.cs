using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// Runs a Hugging Face split regex with Rust's per-code-point semantics. .NET matches UTF-16 units, so a
/// character outside the BMP (𝐀, 𝟏, 𠀀, emoji) is two surrogates that are neither \p{L} nor \p{N}, and the
/// pieces would differ from Hugging Face's. Each such character is replaced by one BMP stand-in of the same kind
/// (letter, number or other) for matching, and the matches are mapped back to the original text.
/// </summary>
internal static class AstralSafeRegex
{
    private const char LetterStandIn = '\u4E00';  // CJK ideograph, Lo
    private const char NumberStandIn = '\u0660';  // Arabic-Indic digit zero, Nd
    private const char OtherStandIn = '\u2603';   // snowman, So

    public static IEnumerable<(int Start, int Length)> Matches(Regex regex, string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            for (var match = regex.Match(text); match.Success; match = match.NextMatch())
            {
                if (match.Length > 0)
                {
                    yield return (match.Index, match.Length);
                }
            }

            yield break;
        }

        // starts[i] is where mapped character i begins in the original text; starts[^1] is the text's length.
        var mapped = new StringBuilder(text.Length);
        var starts = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
        {
            starts.Add(i);
            if (char.IsSurrogatePair(text, i))
            {
                mapped.Append(StandIn(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text, i))));
                i++;
            }
            else
            {
                mapped.Append(text[i]);
            }
        }

        starts.Add(text.Length);
        for (var match = regex.Match(mapped.ToString()); match.Success; match = match.NextMatch())
        {
            if (match.Length > 0)
            {
                int start = starts[match.Index];
                yield return (start, starts[match.Index + match.Length] - start);
            }
        }
    }

    private static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => LetterStandIn,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => NumberStandIn,
        _ => OtherStandIn,
    };
}
