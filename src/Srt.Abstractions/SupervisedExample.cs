using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>
/// One supervised training sequence: a prompt that is masked out of the loss, followed by a completion whose
/// segments carry loss when marked as trained. The trainer renders the prompt with the model's chat template and
/// appends the completion segments and the end-of-turn token.
/// </summary>
/// <param name="Id">The item id, unique within a run.</param>
/// <param name="Prompt">The conversation up to the assistant's turn (the instruction); never trained.</param>
/// <param name="Completion">The assistant's turn, in order.</param>
public sealed record SupervisedExample(string Id, IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<SequenceSegment> Completion);
