using Microsoft.Extensions.AI;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// ChatML (Qwen 2/2.5, SmolLM 2): <c>&lt;|im_start|&gt;user\n{content}&lt;|im_end|&gt;\n</c> per message,
/// generation prompt <c>&lt;|im_start|&gt;assistant\n</c>.
/// </summary>
internal sealed class ChatMLChatTemplate : TurnBasedChatTemplate
{
    public override string Name => "chatml";

    public override string EndOfTurn => "<|im_end|>";

    public override IReadOnlyList<string> StopSequences { get; } = ["<|im_end|>", "<|endoftext|>"];

    protected override string TurnSeparator => "\n";

    protected override string Header(ChatRole role) => $"<|im_start|>{role.Value}\n";

    protected override string Footer(ChatRole role) => "<|im_end|>\n";
}
