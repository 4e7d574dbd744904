using Microsoft.Extensions.AI;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// A chat template that tells its own markers (markup: special tokens) from message content (plain text), so
/// content that spells a special token cannot end or forge a turn. The built-in templates implement it; a template
/// that does not is encoded as Hugging Face does, with special-token text anywhere matched.
/// </summary>
internal interface IChatTemplateMarkup
{
    /// <summary>Renders as <see cref="IChatTemplate.Render"/> does, with message content marked as content.</summary>
    SegmentedText RenderSegmented(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);

    /// <summary>Formats as <see cref="IChatTemplate.FormatCompletion"/> does, with the completion marked as content.</summary>
    SegmentedText FormatCompletionSegmented(string completion);

    /// <summary>
    /// Gets whether the model's own template writes the BOS text first whatever the tokenizer adds (OLMo 2), so
    /// encoding puts the BOS id first when the tokenizer does not.
    /// </summary>
    bool StartsWithBeginningOfSequence => false;
}
