namespace Srt;

/// <summary>A line of <c>stage1/examples.jsonl</c>: one supervised sequence exactly as handed to the trainer.</summary>
internal sealed record ExampleRecord(
    string Id,
    string? SystemPrompt,
    string Instruction,
    IReadOnlyList<SequenceSegment> Completion);
