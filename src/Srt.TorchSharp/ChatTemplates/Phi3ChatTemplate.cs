using Microsoft.Extensions.AI;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Phi-3: <c>&lt;|user|&gt;\n{content}&lt;|end|&gt;\n</c> per message, generation prompt
/// <c>&lt;|assistant|&gt;\n</c>. (Microsoft's template also appends the EOS text when no generation prompt is
/// asked for; Srt leaves it out so a conversation renders the same however it is split.)
/// </summary>
internal sealed class Phi3ChatTemplate : TurnBasedChatTemplate
{
    public override string Name => "phi3";

    public override string EndOfTurn => "<|end|>";

    public override IReadOnlyList<string> StopSequences { get; } = ["<|end|>", "<|endoftext|>"];

    protected override string TurnSeparator => "\n";

    protected override string Header(ChatRole role) =>
        role == ChatRole.System ? "<|system|>\n"
        : role == ChatRole.User ? "<|user|>\n"
        : role == ChatRole.Assistant ? "<|assistant|>\n"
        : throw UnsupportedRole(role);

    protected override string Footer(ChatRole role) => "<|end|>\n";
}
