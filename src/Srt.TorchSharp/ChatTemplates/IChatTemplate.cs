using Microsoft.Extensions.AI;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Turns a conversation into the exact text a chat model was trained on. Rendered text never contains the BOS
/// token: <see cref="Loading.Tokenizers.ModelTokenizer.Encode"/> with <c>addSpecialTokens: true</c> adds it as
/// the tokenizer's config says, so it is never doubled.
/// </summary>
public interface IChatTemplate
{
    /// <summary>Gets the name the template is selected by (see <see cref="ChatTemplate.Names"/>).</summary>
    string Name { get; }

    /// <summary>Gets the text that closes an assistant turn, such as <c>&lt;|im_end|&gt;</c> or <c>&lt;/s&gt;</c>.</summary>
    string EndOfTurn { get; }

    /// <summary>Gets strings that end generation when they appear in the output (end-of-turn markers).</summary>
    IReadOnlyList<string> StopSequences { get; }

    /// <summary>Renders the messages; with <paramref name="addGenerationPrompt"/> adds the opening of an assistant turn.</summary>
    string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);

    /// <summary>
    /// Returns the text that follows the rendered prompt (with generation prompt) when the assistant answers
    /// <paramref name="completion"/>: the completion and <see cref="EndOfTurn"/>, with whatever the format puts
    /// between them. This is the part a trainer computes loss on.
    /// </summary>
    string FormatCompletion(string completion);
}
