using Microsoft.Extensions.AI;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Token ids of chat prompts and completions for generation and training. Prompt and completion are encoded
/// separately and concatenated, so the loss mask boundary is exact and the completion tokens are the ones the
/// model itself produces after the prompt (joint encoding could merge characters across the boundary). A built-in
/// template's markers are encoded as special tokens and message content as plain text (special-token text in
/// content stays text unless the tokenizer has <see cref="ModelTokenizer.MatchesSpecialTokensInText"/>); a template
/// of your own is encoded with special-token text matched anywhere, as Hugging Face does.
/// </summary>
public static class ChatTokenization
{
    /// <summary>Encodes the prompt (with BOS as the tokenizer adds it, and the generation prompt) for generation.</summary>
    /// <param name="template">The chat template.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="messages">The conversation so far.</param>
    /// <returns>The prompt ids.</returns>
    public static IReadOnlyList<int> EncodePrompt(this IChatTemplate template, ModelTokenizer tokenizer, IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return template.EncodePromptText(tokenizer, template.RenderSegmented(messages, addGenerationPrompt: true));
    }

    /// <summary>
    /// Encodes a training example: the prompt ids (masked out of the loss) and the completion ids
    /// (<see cref="IChatTemplate.FormatCompletion"/>, end-of-turn included, encoded with
    /// <see cref="ModelTokenizer.EncodeContinuation"/> after the prompt text).
    /// </summary>
    /// <param name="template">The chat template.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="prompt">The conversation up to the assistant's answer.</param>
    /// <param name="completion">The assistant's answer (plain text, no end-of-turn marker).</param>
    /// <returns>The prompt and completion ids.</returns>
    internal static ChatTrainingTokens EncodeForTraining(
        this IChatTemplate template, ModelTokenizer tokenizer, IReadOnlyList<ChatMessage> prompt, string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var promptText = template.RenderSegmented(prompt, addGenerationPrompt: true);
        var promptIds = template.EncodePromptText(tokenizer, promptText);
        var completionIds = tokenizer.EncodeContinuationSegmented(template.FormatCompletionSegmented(completion), promptText);
        return new ChatTrainingTokens(promptIds, completionIds);
    }

    /// <summary>
    /// Encodes a rendered prompt with the BOS the tokenizer adds; a template that writes the BOS itself (OLMo 2) gets
    /// it first when the tokenizer adds none, once either way.
    /// </summary>
    internal static List<int> EncodePromptText(this IChatTemplate template, ModelTokenizer tokenizer, SegmentedText promptText)
    {
        var ids = new List<int>(tokenizer.EncodeSegmented(promptText, addSpecialTokens: true));
        if (template is IChatTemplateMarkup { StartsWithBeginningOfSequence: true } && tokenizer.BosTokenId is int bos
            && (ids.Count == 0 || ids[0] != bos))
        {
            ids.Insert(0, bos);
        }

        return ids;
    }

    /// <summary>The rendered conversation with its markup marked; a template of the user's own is all markup.</summary>
    internal static SegmentedText RenderSegmented(this IChatTemplate template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        template is IChatTemplateMarkup markup
            ? markup.RenderSegmented(messages, addGenerationPrompt)
            : SegmentedText.Markup(template.Render(messages, addGenerationPrompt));

    /// <summary>
    /// The formatted completion with its markup marked; for a template of the user's own, the completion text found
    /// in its output is content and the rest (the end of turn) markup.
    /// </summary>
    internal static SegmentedText FormatCompletionSegmented(this IChatTemplate template, string completion)
    {
        if (template is IChatTemplateMarkup markup)
        {
            return markup.FormatCompletionSegmented(completion);
        }

        string formatted = template.FormatCompletion(completion);
        int at = completion.Length == 0 ? -1 : formatted.IndexOf(completion, StringComparison.Ordinal);
        return at < 0
            ? SegmentedText.Markup(formatted)
            : SegmentedText.Markup(formatted[..at]).AppendContent(completion).AppendMarkup(formatted[(at + completion.Length)..]);
    }

    /// <summary>The ids that end generation: the tokenizer's EOS ids plus the end-of-turn token when it is one token.</summary>
    /// <param name="template">The chat template.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <returns>The stop ids.</returns>
    public static IReadOnlySet<int> GetStopTokenIds(this IChatTemplate template, ModelTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var ids = new HashSet<int>(tokenizer.EosTokenIds);
        foreach (string stop in template.StopSequences.Append(template.EndOfTurn))
        {
            if (tokenizer.AddedTokens.FirstOrDefault(t => t.Content == stop) is { } token)
            {
                ids.Add(token.Id);
            }
        }

        return ids;
    }
}
