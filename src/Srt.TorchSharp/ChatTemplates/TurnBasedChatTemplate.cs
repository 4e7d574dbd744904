using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Shared rendering for formats where every message is a header, its content and a closing marker. A rendered
/// assistant message is always <c>header + FormatCompletion(content) + separator</c>, so a prompt rendered with
/// its generation prompt followed by <see cref="FormatCompletion"/> is exactly the conversation's own text. Headers,
/// footers and the end of turn are markup; message text is content.
/// </summary>
internal abstract class TurnBasedChatTemplate : IChatTemplate, IChatTemplateMarkup
{
    public abstract string Name { get; }

    public abstract string EndOfTurn { get; }

    public abstract IReadOnlyList<string> StopSequences { get; }

    public virtual bool StartsWithBeginningOfSequence => false;

    /// <summary>The text after an assistant turn's <see cref="EndOfTurn"/>, before the next message.</summary>
    protected virtual string TurnSeparator => "";

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        RenderSegmented(messages, addGenerationPrompt).Text;

    public SegmentedText RenderSegmented(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var text = new SegmentedText();
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message);
            if (message.Role == ChatRole.Assistant)
            {
                text.AppendMarkup(Header(ChatRole.Assistant)).Append(FormatCompletionSegmented(message.Text)).AppendMarkup(TurnSeparator);
            }
            else
            {
                text.AppendMarkup(Header(message.Role)).AppendContent(Content(message.Text)).AppendMarkup(Footer(message.Role));
            }
        }

        if (addGenerationPrompt)
        {
            text.AppendMarkup(Header(ChatRole.Assistant));
        }

        return text;
    }

    public string FormatCompletion(string completion) => FormatCompletionSegmented(completion).Text;

    public virtual SegmentedText FormatCompletionSegmented(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return SegmentedText.Content(Content(completion)).AppendMarkup(EndOfTurn);
    }

    /// <summary>The text opening a message of <paramref name="role"/>.</summary>
    protected abstract string Header(ChatRole role);

    /// <summary>The text closing a non-assistant message of <paramref name="role"/>.</summary>
    protected abstract string Footer(ChatRole role);

    /// <summary>The message content as the format writes it (some formats trim it).</summary>
    protected virtual string Content(string content) => content;

    /// <summary>Throws for roles a format has no marker for.</summary>
    [SuppressMessage("Usage", "CA2208", Justification = "Names the caller's parameter: the messages passed to Render.")]
    protected ArgumentException UnsupportedRole(ChatRole role) =>
        new($"The '{Name}' chat template has no '{role.Value}' role; use system, user or assistant.", "messages");
}
