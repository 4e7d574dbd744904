using Microsoft.Extensions.AI;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Mistral instruct: <c>[INST] {user} [/INST] {assistant}&lt;/s&gt;</c> (v1, Mistral-7B-Instruct v0.1/v0.2) or
/// <c>[INST] {user}[/INST] {assistant}&lt;/s&gt;</c> (v3 tokenizers, where [INST]/[/INST] are control tokens).
/// System messages are prepended to the first user message, separated by a blank line. The space before the
/// assistant text makes its first word "▁word", as Mistral's own tokenizer library (mistral-common) encodes it.
/// </summary>
internal sealed class MistralChatTemplate(bool v3, string endOfSequence) : IChatTemplate, IChatTemplateMarkup
{
    public string Name => v3 ? "mistral-v3" : "mistral";

    public string EndOfTurn { get; } = endOfSequence;

    public IReadOnlyList<string> StopSequences => [EndOfTurn];

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        RenderSegmented(messages, addGenerationPrompt).Text;

    public SegmentedText RenderSegmented(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string system = string.Join("\n\n", messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        var text = new SegmentedText();
        bool firstUser = true;
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.User)
            {
                string content = firstUser && system.Length > 0 ? system + "\n\n" + message.Text : message.Text;
                text.AppendMarkup("[INST] ").AppendContent(content).AppendMarkup(v3 ? "[/INST]" : " [/INST]");
                firstUser = false;
            }
            else if (message.Role == ChatRole.Assistant)
            {
                text.Append(FormatCompletionSegmented(message.Text));
            }
            else if (message.Role != ChatRole.System)
            {
                throw new ArgumentException($"The '{Name}' chat template has no '{message.Role.Value}' role; use system, user or assistant.", nameof(messages));
            }
        }

        // The prompt already ends with [/INST]: Mistral has no separate generation prompt.
        return text;
    }

    public string FormatCompletion(string completion) => FormatCompletionSegmented(completion).Text;

    public SegmentedText FormatCompletionSegmented(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return SegmentedText.Markup(" ").AppendContent(completion).AppendMarkup(EndOfTurn);
    }
}
