namespace Srt.Datasets;

/// <summary>One supervised example as exported for TRL: the instruction (the prompt) and the completion text.</summary>
/// <param name="Id">The item id.</param>
/// <param name="SystemPrompt">A system message before the instruction, or <see langword="null"/>.</param>
/// <param name="Instruction">The instruction (the user's turn).</param>
/// <param name="Completion">The assistant's turn: for stage 1, response → feedback → refinement.</param>
public sealed record SftRecord(string Id, string? SystemPrompt, string Instruction, string Completion)
{
    /// <summary>Converts the record to what <see cref="ITrainer.TrainSupervisedAsync"/> takes: one trained segment after the prompt.</summary>
    /// <returns>The example.</returns>
    public SupervisedExample ToSupervisedExample() =>
        new(Id, PolicyPrompt.Create(SystemPrompt, Instruction), [new SequenceSegment(Completion, true, SegmentKind.Other)]);

    internal IReadOnlyList<DatasetMessage> PromptMessages() =>
        SystemPrompt is null ? [new("user", Instruction)] : [new("system", SystemPrompt), new("user", Instruction)];
}
