using Microsoft.Extensions.AI;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Qwen3: ChatML (<c>&lt;|im_start|&gt;role\n{content}&lt;|im_end|&gt;\n</c>) with Qwen3's thinking blocks. As
/// Qwen3's own template does, an assistant message before the last user message keeps only its answer (a
/// <c>&lt;think&gt;…&lt;/think&gt;</c> part is dropped); one after it is written as
/// <c>&lt;think&gt;\n{reasoning}\n&lt;/think&gt;\n\n{answer}</c> when it is the last message or has reasoning.
/// Without thinking (<c>enable_thinking=false</c>, the <c>qwen3</c> template) the generation prompt ends with the
/// empty block <c>&lt;think&gt;\n\n&lt;/think&gt;\n\n</c>, so the model answers directly; with thinking
/// (<c>qwen3-thinking</c>) it is <c>&lt;|im_start|&gt;assistant\n</c> and the model writes its own block, which is
/// part of the completion.
/// </summary>
internal sealed class Qwen3ChatTemplate(bool thinking) : IChatTemplate, IChatTemplateMarkup
{
    private const string EmptyThinking = "<think>\n\n</think>\n\n";

    public string Name => thinking ? "qwen3-thinking" : "qwen3";

    public string EndOfTurn => "<|im_end|>";

    public IReadOnlyList<string> StopSequences { get; } = ["<|im_end|>", "<|endoftext|>"];

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        RenderSegmented(messages, addGenerationPrompt).Text;

    public SegmentedText RenderSegmented(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        int lastQuery = messages.Count - 1;
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            string content = messages[i]?.Text ?? "";
            if (messages[i]?.Role == ChatRole.User && !(content.StartsWith("<tool_response>", StringComparison.Ordinal) && content.EndsWith("</tool_response>", StringComparison.Ordinal)))
            {
                lastQuery = i;
                break;
            }
        }

        var text = new SegmentedText();
        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            ArgumentNullException.ThrowIfNull(message);
            if (message.Role == ChatRole.User || message.Role == ChatRole.System)
            {
                text.AppendMarkup($"<|im_start|>{message.Role.Value}\n").AppendContent(message.Text).AppendMarkup("<|im_end|>\n");
            }
            else if (message.Role == ChatRole.Assistant)
            {
                var (reasoning, answer) = SplitThinking(message.Text);
                text.AppendMarkup("<|im_start|>assistant\n");
                if (i > lastQuery && (i == messages.Count - 1 || reasoning.Length > 0))
                {
                    text.AppendMarkup("<think>\n").AppendContent(reasoning.Trim('\n')).AppendMarkup("\n</think>\n\n").AppendContent(answer.TrimStart('\n'));
                }
                else
                {
                    text.AppendContent(answer);
                }

                text.AppendMarkup("<|im_end|>\n");
            }
            else
            {
                throw new ArgumentException($"The '{Name}' chat template has no '{message.Role.Value}' role; use system, user or assistant.", nameof(messages));
            }
        }

        if (addGenerationPrompt)
        {
            text.AppendMarkup("<|im_start|>assistant\n");
            if (!thinking)
            {
                text.AppendMarkup(EmptyThinking);
            }
        }

        return text;
    }

    public string FormatCompletion(string completion) => FormatCompletionSegmented(completion).Text;

    public SegmentedText FormatCompletionSegmented(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return SegmentedText.Content(completion).AppendMarkup(EndOfTurn);
    }

    /// <summary>Splits "&lt;think&gt;reasoning&lt;/think&gt;answer" as Qwen3's template does; no block gives ("", text).</summary>
    private static (string Reasoning, string Answer) SplitThinking(string content)
    {
        int close = content.IndexOf("</think>", StringComparison.Ordinal);
        if (close < 0)
        {
            return ("", content);
        }

        // content.split('</think>')[-1]: the text after the last </think>; [0]: the text before the first.
        string answer = content[(content.LastIndexOf("</think>", StringComparison.Ordinal) + "</think>".Length)..].TrimStart('\n');
        string before = content[..close].TrimEnd('\n');
        int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
        string reasoning = (open < 0 ? before : before[(open + "<think>".Length)..]).TrimStart('\n');
        return (reasoning, answer);
    }
}
