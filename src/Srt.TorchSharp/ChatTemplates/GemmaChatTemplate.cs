using Microsoft.Extensions.AI;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Gemma 2 and 3 instruct: <c>&lt;start_of_turn&gt;user\n{content}&lt;end_of_turn&gt;\n</c>, the assistant's role
/// written <c>model</c>, generation prompt <c>&lt;start_of_turn&gt;model\n</c>, content trimmed. Gemma has no system
/// role: as Gemma 3's template does, a leading system message is folded into the first user turn as
/// <c>{system}\n\n{user}</c> (Gemma 2's template refuses system messages; Srt folds them the same way). The
/// tokenizer adds <c>&lt;bos&gt;</c>.
/// </summary>
internal sealed class GemmaChatTemplate : IChatTemplate, IChatTemplateMarkup
{
    public string Name => "gemma";

    public string EndOfTurn => "<end_of_turn>";

    public IReadOnlyList<string> StopSequences { get; } = ["<end_of_turn>", "<eos>"];

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        RenderSegmented(messages, addGenerationPrompt).Text;

    public SegmentedText RenderSegmented(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string? system = messages.Count > 0 && messages[0]?.Role == ChatRole.System ? messages[0].Text : null;
        if (system is not null && (messages.Count < 2 || messages[1]?.Role != ChatRole.User))
        {
            throw new ArgumentException($"The '{Name}' chat template folds a system message into the user message after it; none follows.", nameof(messages));
        }

        var text = new SegmentedText();
        for (int i = system is null ? 0 : 1; i < messages.Count; i++)
        {
            var message = messages[i];
            ArgumentNullException.ThrowIfNull(message);
            if (message.Role == ChatRole.Assistant)
            {
                text.AppendMarkup("<start_of_turn>model\n").Append(FormatCompletionSegmented(message.Text)).AppendMarkup("\n");
            }
            else if (message.Role == ChatRole.User)
            {
                text.AppendMarkup("<start_of_turn>user\n");
                if (system is not null && i == 1)
                {
                    // Gemma 3 writes the system text as is, then the user text trimmed.
                    text.AppendContent(system + "\n\n");
                }

                text.AppendContent(message.Text.Trim()).AppendMarkup("<end_of_turn>\n");
            }
            else
            {
                throw new ArgumentException(
                    $"The '{Name}' chat template takes a system message only first, then user and assistant messages (got '{message.Role.Value}' at {i}).",
                    nameof(messages));
            }
        }

        if (addGenerationPrompt)
        {
            text.AppendMarkup("<start_of_turn>model\n");
        }

        return text;
    }

    public string FormatCompletion(string completion) => FormatCompletionSegmented(completion).Text;

    public SegmentedText FormatCompletionSegmented(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return SegmentedText.Content(completion.Trim()).AppendMarkup(EndOfTurn);
    }
}
