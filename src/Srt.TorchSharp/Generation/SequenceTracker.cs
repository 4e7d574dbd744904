using System.Text;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Generation;

/// <summary>
/// Follows one sequence while it is generated: decodes its ids incrementally, ends it on an end-of-sequence id, a
/// stop sequence or the token limit, and releases text only once no stop sequence can still begin inside it, so
/// streamed text never shows part of a stop sequence.
/// </summary>
internal sealed class SequenceTracker
{
    private readonly IReadOnlySet<int> _stopTokenIds;
    private readonly IReadOnlyList<string> _stopSequences;
    private readonly int _maxNewTokens;
    private readonly StreamingTextDecoder _decoder;
    private readonly StringBuilder _text = new();
    private readonly List<int> _tokenIds = [];
    private readonly int _longestStop;
    private int _released;

    public SequenceTracker(
        int index, int promptTokens, ModelTokenizer tokenizer, IReadOnlySet<int> stopTokenIds,
        IReadOnlyList<string> stopSequences, int maxNewTokens)
    {
        Index = index;
        PromptTokens = promptTokens;
        _stopTokenIds = stopTokenIds;
        _stopSequences = stopSequences;
        _maxNewTokens = maxNewTokens;
        _longestStop = stopSequences.Count == 0 ? 0 : stopSequences.Max(s => s.Length);
        _decoder = tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
    }

    public int Index { get; }

    public int PromptTokens { get; }

    public CompletionFinishReason? FinishReason { get; private set; }

    public bool IsFinished => FinishReason is not null;

    /// <summary>Takes the next generated id and returns the update to stream, or null when no text is ready yet.</summary>
    public GenerationUpdate? Accept(int id)
    {
        if (IsFinished)
        {
            throw new InvalidOperationException($"Sequence {Index} has already finished.");
        }
        _tokenIds.Add(id);
        if (_stopTokenIds.Contains(id))
        {
            return Finish(CompletionFinishReason.Stop, _text.Length);
        }

        var searchFrom = _text.Length;
        _text.Append(_decoder.Append(id));
        if (FindStop(searchFrom) is { } stopAt)
        {
            return Finish(CompletionFinishReason.Stop, stopAt);
        }
        if (_tokenIds.Count >= _maxNewTokens)
        {
            return Finish(CompletionFinishReason.Length, _text.Length);
        }

        var releasable = _text.Length - LongestPendingStopPrefix();
        return releasable > _released ? new GenerationUpdate(Index, Release(releasable), null) : null;
    }

    public GenerationResult ToResult() => FinishReason is { } reason
        ? new GenerationResult(_text.ToString(), reason, PromptTokens, _tokenIds.ToArray())
        : throw new InvalidOperationException($"Sequence {Index} has not finished.");

    private GenerationUpdate Finish(CompletionFinishReason reason, int end)
    {
        if (end == _text.Length)
        {
            // A character cut off by the end of generation becomes U+FFFD; a stop sequence may still complete in it.
            var searchFrom = _text.Length;
            _text.Append(_decoder.Flush());
            end = FindStop(searchFrom) ?? _text.Length;
            reason = end < _text.Length ? CompletionFinishReason.Stop : reason;
        }
        var piece = Release(end);
        _text.Length = end;
        FinishReason = reason;
        return new GenerationUpdate(Index, piece, reason);
    }

    private string Release(int end)
    {
        var piece = _text.ToString(_released, end - _released);
        _released = end;
        return piece;
    }

    /// <summary>The earliest start of a stop sequence that overlaps text appended at or after <paramref name="appendedAt"/>.</summary>
    private int? FindStop(int appendedAt)
    {
        if (_stopSequences.Count == 0)
        {
            return null;
        }
        // Only the unreleased tail can hold a new match: released text was checked when it was appended.
        var windowStart = Math.Max(_released, appendedAt - _longestStop + 1);
        var window = _text.ToString(windowStart, _text.Length - windowStart);
        int? earliest = null;
        foreach (var stop in _stopSequences)
        {
            var at = window.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (earliest is null || at < earliest))
            {
                earliest = at;
            }
        }
        return windowStart + earliest;
    }

    /// <summary>The length of the longest end of the text that is a proper prefix of some stop sequence.</summary>
    private int LongestPendingStopPrefix()
    {
        var longest = 0;
        foreach (var stop in _stopSequences)
        {
            for (var length = Math.Min(stop.Length - 1, _text.Length - _released); length > longest; length--)
            {
                if (EndsWith(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }

    private bool EndsWith(ReadOnlySpan<char> suffix)
    {
        var start = _text.Length - suffix.Length;
        for (var i = 0; i < suffix.Length; i++)
        {
            if (_text[start + i] != suffix[i])
            {
                return false;
            }
        }
        return true;
    }
}
