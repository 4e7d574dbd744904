using Microsoft.Extensions.AI;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Llama 3 / 3.1 / 3.2 instruct: <c>&lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\n{content}&lt;|eot_id|&gt;</c>
/// per message (content trimmed, as Meta's template does); the tokenizer adds <c>&lt;|begin_of_text|&gt;</c>.
/// </summary>
internal sealed class Llama3ChatTemplate : TurnBasedChatTemplate
{
    public override string Name => "llama3";

    public override string EndOfTurn => "<|eot_id|>";

    public override IReadOnlyList<string> StopSequences { get; } = ["<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"];

    protected override string Header(ChatRole role) => $"<|start_header_id|>{role.Value}<|end_header_id|>\n\n";

    protected override string Footer(ChatRole role) => "<|eot_id|>";

    protected override string Content(string content) => content.Trim();
}
