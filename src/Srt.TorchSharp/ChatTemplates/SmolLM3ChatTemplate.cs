using System.Globalization;
using Microsoft.Extensions.AI;
using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// SmolLM3: ChatML turns after a system header that SmolLM3's template always writes: <c>## Metadata</c> (knowledge
/// cutoff, today's date, <c>Reasoning Mode: /think</c> or <c>/no_think</c>) and <c>## Custom Instructions</c> (the
/// system message, or SmolLM3's default instructions). As in that template, the header has no
/// <c>&lt;|im_end|&gt;</c> when no tools are given, a system message containing <c>/system_override</c> replaces the
/// header, <c>/think</c> or <c>/no_think</c> in the system message chooses the mode, and other system messages are
/// not rendered. Without thinking (<c>smollm3</c>) an assistant turn opens with the empty block
/// <c>&lt;think&gt;\n\n&lt;/think&gt;\n</c>; with thinking (<c>smollm3-thinking</c>) the model writes its own.
/// </summary>
internal sealed class SmolLM3ChatTemplate(bool thinking, TimeProvider? timeProvider = null) : IChatTemplate, IChatTemplateMarkup
{
    private const string EmptyThinking = "<think>\n\n</think>\n";

    private const string DefaultInstructions = "You are a helpful AI assistant named SmolLM, trained by Hugging Face.\n\n";

    private const string DefaultThinkingInstructions =
        "You are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role as an assistant involves thoroughly exploring questions through a systematic thinking process before providing the final precise and accurate solutions. This requires engaging in a comprehensive cycle of analysis, summarizing, exploration, reassessment, reflection, backtracking, and iteration to develop well-considered thinking process. Please structure your response into two main sections: Thought and Solution using the specified format: <think> Thought section </think> Solution section. In the Thought section, detail your reasoning process in steps. Each step should include detailed considerations such as analysing questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of the current steps, refining any errors, and revisiting previous steps. In the Solution section, based on various attempts, explorations, and reflections from the Thought section, systematically present the final solution that you deem correct. The Solution section should be logical, accurate, and concise and detail necessary steps needed to reach the conclusion.\n\n";

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public string Name => thinking ? "smollm3-thinking" : "smollm3";

    public string EndOfTurn => "<|im_end|>";

    public IReadOnlyList<string> StopSequences { get; } = ["<|im_end|>", "<|end_of_text|>"];

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        RenderSegmented(messages, addGenerationPrompt).Text;

    public SegmentedText RenderSegmented(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        bool think = thinking;
        string? system = messages.Count > 0 && messages[0]?.Role == ChatRole.System ? messages[0].Text : null;
        string? instructions = null;
        if (system is not null)
        {
            think = system.Contains("/no_think", StringComparison.Ordinal) ? false
                : system.Contains("/think", StringComparison.Ordinal) || think;
            instructions = system.Replace("/no_think", "", StringComparison.Ordinal).Replace("/think", "", StringComparison.Ordinal).TrimEnd();
        }

        var text = new SegmentedText().AppendMarkup("<|im_start|>system\n");
        if (system?.Contains("/system_override", StringComparison.Ordinal) == true)
        {
            text.AppendContent(instructions!.Replace("/system_override", "", StringComparison.Ordinal).TrimEnd()).AppendMarkup("<|im_end|>\n");
        }
        else
        {
            // strftime("%d %B %Y"): a two-digit day and the English month name.
            string today = _time.GetLocalNow().ToString("dd MMMM yyyy", CultureInfo.InvariantCulture);
            text.AppendMarkup($"## Metadata\n\nKnowledge Cutoff Date: June 2025\nToday Date: {today}\nReasoning Mode: {(think ? "/think" : "/no_think")}\n\n## Custom Instructions\n\n");
            if (!string.IsNullOrEmpty(instructions))
            {
                text.AppendContent(instructions).AppendMarkup("\n\n");
            }
            else
            {
                text.AppendMarkup(think ? DefaultThinkingInstructions : DefaultInstructions);
            }
        }

        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message);
            if (message.Role == ChatRole.User)
            {
                text.AppendMarkup("<|im_start|>user\n").AppendContent(message.Text).AppendMarkup("<|im_end|>\n");
            }
            else if (message.Role == ChatRole.Assistant)
            {
                text.AppendMarkup(AssistantHeader(think)).Append(FormatCompletionSegmented(message.Text)).AppendMarkup("\n");
            }
            else if (message.Role != ChatRole.System)
            {
                throw new ArgumentException($"The '{Name}' chat template has no '{message.Role.Value}' role; use system, user or assistant.", nameof(messages));
            }
        }

        if (addGenerationPrompt)
        {
            text.AppendMarkup(AssistantHeader(think));
        }

        return text;
    }

    public string FormatCompletion(string completion) => FormatCompletionSegmented(completion).Text;

    public SegmentedText FormatCompletionSegmented(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return SegmentedText.Content(completion.TrimStart('\n')).AppendMarkup(EndOfTurn);
    }

    private static string AssistantHeader(bool think) => think ? "<|im_start|>assistant\n" : "<|im_start|>assistant\n" + EmptyThinking;
}
