using Microsoft.Extensions.AI;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// OLMo 2 instruct (and Tülu 3): <c>&lt;|system|&gt;\n{content}\n</c>, <c>&lt;|user|&gt;\n{content}\n</c>,
/// <c>&lt;|assistant|&gt;\n{content}{eos}\n</c>; generation prompt <c>&lt;|assistant|&gt;\n</c>. The end of turn is
/// the tokenizer's EOS (<c>&lt;|endoftext|&gt;</c> for OLMo 2). OLMo 2's template starts with the BOS text itself
/// (its tokenizer adds none), so encoding puts the BOS id first when the tokenizer does not (see
/// <see cref="IChatTemplateMarkup.StartsWithBeginningOfSequence"/>). Unlike the template, Srt ends the last assistant
/// turn with "\n" too, so a conversation renders the same however it is split; the trained text is the same.
/// </summary>
internal sealed class Olmo2ChatTemplate(string endOfSequence) : TurnBasedChatTemplate
{
    public override string Name => "olmo2";

    public override string EndOfTurn { get; } = endOfSequence;

    public override IReadOnlyList<string> StopSequences => [EndOfTurn];

    public override bool StartsWithBeginningOfSequence => true;

    protected override string TurnSeparator => "\n";

    protected override string Header(ChatRole role) =>
        role == ChatRole.System ? "<|system|>\n"
        : role == ChatRole.User ? "<|user|>\n"
        : role == ChatRole.Assistant ? "<|assistant|>\n"
        : throw UnsupportedRole(role);

    protected override string Footer(ChatRole role) => "\n";
}
