using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Training;

/// <summary>
/// Turns examples into token ids and loss masks: the prompt rendered with the chat template and its generation prompt
/// (masked), each completion segment (trained or not as the segment says), then the template's end-of-turn text
/// (trained, so the model learns to stop). Segments are tokenized one after another as continuations of the text
/// before them, so a mask boundary always falls between tokens. Preference pairs train their end of turn only when
/// <paramref name="scorePreferenceEndOfTurn"/> is true.
/// </summary>
internal sealed class TrainingSequenceEncoder(ModelTokenizer tokenizer, IChatTemplate template, int maxLength, bool scorePreferenceEndOfTurn = true)
{
    /// <summary>Encodes one supervised example; null when truncation left no trained token.</summary>
    public TrainingSequence? Encode(SupervisedExample example, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (example.Completion is null || example.Completion.Count == 0)
        {
            throw new ArgumentException($"Supervised example '{example.Id}' has no completion segments.", nameof(example));
        }
        return Encode(example.Id, example.Prompt, example.Completion.Select(s => (s.Text ?? string.Empty, s.IsTrained)).ToList(), true, out truncated);
    }

    /// <summary>Encodes prompt + chosen and prompt + rejected; null when either lost all its trained tokens.</summary>
    public (TrainingSequence Chosen, TrainingSequence Rejected)? Encode(PreferencePair pair, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(pair);
        var chosen = Encode(pair.Id, pair.Prompt, [(pair.Chosen ?? string.Empty, true)], scorePreferenceEndOfTurn, out var chosenTruncated);
        var rejected = Encode(pair.Id, pair.Prompt, [(pair.Rejected ?? string.Empty, true)], scorePreferenceEndOfTurn, out var rejectedTruncated);
        truncated = chosenTruncated || rejectedTruncated;
        return chosen is null || rejected is null ? null : (chosen, rejected);
    }

    private TrainingSequence? Encode(
        string id, IReadOnlyList<ChatMessage> prompt, IReadOnlyList<(string Text, bool IsTrained)> segments, bool trainEndOfTurn, out bool truncated)
    {
        var promptText = template.RenderSegmented(prompt, addGenerationPrompt: true);
        var ids = template.EncodePromptText(tokenizer, promptText);
        var mask = new List<bool>(new bool[ids.Count]);
        string completion = string.Concat(segments.Select(s => s.Text));
        string formatted = template.FormatCompletion(completion);
        int at = formatted.IndexOf(completion, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException(
                $"Chat template '{template.Name}' changes the completion text of example '{id}', so segment masks cannot be placed.");
        }
        // The template's text around the completion is markup (special tokens); the segments are content, so text
        // in them that spells a special token stays text (see ModelTokenizerOptions.MatchSpecialTokensInText).
        var pieces = segments.Select(s => (Text: SegmentedText.Content(s.Text), s.IsTrained)).ToList();
        pieces[0] = (SegmentedText.Markup(formatted[..at]).Append(pieces[0].Text), pieces[0].IsTrained);
        pieces.Add((SegmentedText.Markup(formatted[(at + completion.Length)..]), trainEndOfTurn));
        var preceding = new SegmentedText().Append(promptText);
        foreach (var (text, isTrained) in pieces)
        {
            if (text.Length == 0)
            {
                continue;
            }
            var pieceIds = tokenizer.EncodeContinuationSegmented(text, preceding);
            ids.AddRange(pieceIds);
            mask.AddRange(Enumerable.Repeat(isTrained, pieceIds.Count));
            preceding.Append(text);
        }
        truncated = ids.Count > maxLength;
        if (truncated)
        {
            // Cut from the right: the prompt stays whole and the start of the answer is kept.
            ids.RemoveRange(maxLength, ids.Count - maxLength);
            mask.RemoveRange(maxLength, mask.Count - maxLength);
        }
        if (mask.Count > 0)
        {
            mask[0] = false;
        }
        return mask.Contains(true) ? new TrainingSequence(id, [.. ids], [.. mask]) : null;
    }
}
