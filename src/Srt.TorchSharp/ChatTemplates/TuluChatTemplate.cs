using Microsoft.Extensions.AI;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// Tulu 2 (open-instruct): <c>&lt;|system|&gt;\n{content}\n</c>, <c>&lt;|user|&gt;\n{content}\n</c>,
/// <c>&lt;|assistant|&gt;\n{content}{eos}\n</c>; generation prompt <c>&lt;|assistant|&gt;\n</c>. The markers are
/// plain text for Tulu 2's Llama 2 tokenizer; the end of turn is the tokenizer's EOS (<c>&lt;/s&gt;</c>).
/// </summary>
internal sealed class TuluChatTemplate(string endOfSequence) : TurnBasedChatTemplate
{
    public override string Name => "tulu";

    public override string EndOfTurn { get; } = endOfSequence;

    public override IReadOnlyList<string> StopSequences => [EndOfTurn, "<|user|>"];

    protected override string TurnSeparator => "\n";

    protected override string Header(ChatRole role) =>
        role == ChatRole.System ? "<|system|>\n"
        : role == ChatRole.User ? "<|user|>\n"
        : role == ChatRole.Assistant ? "<|assistant|>\n"
        : throw UnsupportedRole(role);

    protected override string Footer(ChatRole role) => "\n";
}
