namespace Srt.Datasets;

/// <summary>One preference pair as exported for TRL's <c>DPOTrainer</c>.</summary>
/// <param name="Id">The item id.</param>
/// <param name="SystemPrompt">A system message before the instruction, or <see langword="null"/>.</param>
/// <param name="Instruction">The instruction (the prompt).</param>
/// <param name="Chosen">The preferred answer (stage 2: the refinement).</param>
/// <param name="Rejected">The other answer (stage 2: the initial response).</param>
public sealed record PreferenceRecord(string Id, string? SystemPrompt, string Instruction, string Chosen, string Rejected)
{
    /// <summary>Converts the record to what <see cref="ITrainer.TrainPreferenceAsync"/> takes.</summary>
    /// <returns>The pair.</returns>
    public PreferencePair ToPreferencePair() => new(Id, PolicyPrompt.Create(SystemPrompt, Instruction), Chosen, Rejected);

    internal IReadOnlyList<DatasetMessage> PromptMessages() =>
        SystemPrompt is null ? [new("user", Instruction)] : [new("system", SystemPrompt), new("user", Instruction)];
}
