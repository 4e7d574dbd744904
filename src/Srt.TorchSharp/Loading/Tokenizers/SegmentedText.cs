using System.Text;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// Text made of markup and content. Markup is what a chat template writes (turn markers, role names, BOS/EOS
/// text): special-token text there is that token. Content is what a user, a policy or a critic wrote: special-token
/// text there is plain text unless the tokenizer was loaded with
/// <see cref="ModelTokenizerOptions.MatchSpecialTokensInText"/>, so an instruction that spells <c>&lt;/s&gt;</c> or
/// <c>&lt;|im_end|&gt;</c> cannot end or forge a turn.
/// </summary>
internal sealed class SegmentedText
{
    private readonly StringBuilder _text = new();

    // Sorted, non-overlapping, non-adjacent [Start, End) ranges of markup.
    private readonly List<(int Start, int End)> _markup = [];

    public int Length => _text.Length;

    public string Text => _text.ToString();

    public static SegmentedText Content(string text) => new SegmentedText().AppendContent(text);

    public static SegmentedText Markup(string text) => new SegmentedText().AppendMarkup(text);

    public SegmentedText AppendContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text.Append(text);
        return this;
    }

    public SegmentedText AppendMarkup(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return this;
        }

        int start = _text.Length;
        _text.Append(text);
        if (_markup.Count > 0 && _markup[^1].End == start)
        {
            _markup[^1] = (_markup[^1].Start, _text.Length);
        }
        else
        {
            _markup.Add((start, _text.Length));
        }

        return this;
    }

    public SegmentedText Append(SegmentedText other)
    {
        ArgumentNullException.ThrowIfNull(other);
        string text = other.Text;
        int at = 0;
        foreach (var (start, end) in other._markup)
        {
            AppendContent(text[at..start]);
            AppendMarkup(text[start..end]);
            at = end;
        }

        return AppendContent(text[at..]);
    }

    /// <summary>The text from <paramref name="start"/> on, with its markup ranges.</summary>
    public SegmentedText Substring(int start)
    {
        var result = new SegmentedText();
        string text = Text;
        int at = start;
        foreach (var (markupStart, markupEnd) in _markup)
        {
            if (markupEnd <= at)
            {
                continue;
            }

            int from = Math.Max(markupStart, at);
            result.AppendContent(text[at..from]);
            result.AppendMarkup(text[from..markupEnd]);
            at = markupEnd;
        }

        return result.AppendContent(text[at..]);
    }

    /// <summary>Whether <c>[start, end)</c> lies wholly inside one markup range.</summary>
    public bool IsMarkup(int start, int end)
    {
        int low = 0;
        int high = _markup.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            var range = _markup[middle];
            if (range.End <= start)
            {
                low = middle + 1;
            }
            else if (range.Start > start)
            {
                high = middle - 1;
            }
            else
            {
                return end <= range.End;
            }
        }

        return false;
    }
}
